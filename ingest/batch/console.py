"""What ``toneboard ingest`` shows in a terminal: a progress bar while the batch runs (bytes,
files, minutes of audio, time left; each failure as it happens), then the batch's report."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .files import summary
from .pipeline import BatchReport, Progress as BatchProgress

LIST_LEFT_OUT = 20  # files left out of a folder ingest listed by name


class IngestConsole:
    """``with console.bar: ingest_paths(..., on_progress=console.progress)``, then ``console.report(...)``."""

    def __init__(self, quiet: bool = False):
        self.err, self.out = Console(stderr=True, soft_wrap=True), Console(soft_wrap=True)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                            TextColumn("{task.fields[files]} files · {task.fields[audio]} audio min"),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=self.err,
                            disable=quiet)
        self.task = None

    def progress(self, p: BatchProgress) -> None:
        if self.task is None:
            self.task = self.bar.add_task("ingesting", total=max(p.bytes_total, 1), files="0/0", audio="0.0")
        name = Path(p.current).name if p.current else "done" if p.files_done == p.files_total else ""
        self.bar.update(self.task, completed=p.bytes_done, description=f"ingesting {escape(name[:40])}",
                        files=f"{p.files_done}/{p.files_total}", audio=f"{p.audio_done_s / 60:.1f}")
        if p.last is not None and p.last.status == "failed" and p.current is None:
            self.bar.console.print(f"[red]failed[/] {escape(str(p.last.path))}: {escape(p.last.reason)}",
                                   highlight=False)

    def error(self, message: str) -> None:
        self.err.print(f"[red]error:[/] {escape(message)}")

    def interrupted(self) -> None:
        self.err.print("[yellow]interrupted[/]: recordings already stored are kept; run the same command again to resume")

    def report(self, report: BatchReport, db: Path, stage_times: bool = True) -> None:
        """The warnings, one line for the batch, the time per stage, then each failed file and
        (the first ``LIST_LEFT_OUT``) files of the folders that are not recordings."""
        for w in report.warnings:
            self.err.print(f"[yellow]note:[/] {escape(w)}", highlight=False)
        b, out = report.batch, self.out
        left = f", {len(report.left_out)} not recordings ({summary(report.left_out)})" if report.left_out else ""
        failed = f"[red]{b.n_failed} failed[/]" if b.n_failed else "0 failed"
        out.print(f"batch {b.batch_id} ({escape(b.name)}): [green]{b.n_ingested} ingested[/], {b.n_skipped} skipped "
                  f"(already present), {failed}{left}; {b.audio_s / 60:.1f} min of audio → {escape(str(db))}",
                  highlight=False)
        if b.n_ingested and stage_times:
            out.print(f"time per stage: {report.times.line()}", highlight=False)
        for o in report.failed:
            out.print(f"  [red]✗[/] {escape(str(o.path))}: {escape(o.reason)}", highlight=False)
        shown = [s for s in report.left_out if s.reason != "hidden"] or report.left_out
        for s in shown[:LIST_LEFT_OUT]:
            out.print(f"  [dim]–[/] {escape(str(s.path))}: {escape(s.reason)}", highlight=False)
        if len(shown) > LIST_LEFT_OUT:
            out.print(f"  … and {len(shown) - LIST_LEFT_OUT} more not shown", highlight=False)
