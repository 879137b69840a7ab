"""toneboard's command line: ``toneboard ingest PATH...`` and ``toneboard summary``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FILES_FAILED, EXIT_USAGE, EXIT_MODEL = 0, 1, 2, 3


def _meta(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"--meta takes KEY=VALUE (got {value!r})")
    return key.strip().lower(), val.strip()


def _roles(value: str) -> tuple[str, str]:
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError("--channel-roles takes two names, e.g. agent,customer")
    return parts[0], parts[1]


def build_parser() -> argparse.ArgumentParser:
    from ingest.pipeline import DEFAULT_DB, KINDS, IngestOptions
    from ingest.recognize import DEFAULT_MODEL, LANGUAGE_CHOICES
    from ingest.vad import VADS

    d = IngestOptions()
    p = argparse.ArgumentParser(prog="toneboard", description="Hear how things were said in your recordings.")
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", help="analyse recordings and store them in the database",
                         description="Analyse recordings (files and folders, recursively) with "
                                     "SenseVoiceSmall and store segments, tags and pauses.")
    ing.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                     help="audio/video files or folders (optional with --manifest)")
    g = ing.add_argument_group("what the recordings are")
    g.add_argument("--kind", choices=KINDS, default=d.kind, help="kind of recording (default: %(default)s)")
    g.add_argument("--outcome", choices=("won", "lost"), help="outcome of a sales demo")
    g.add_argument("--batch", dest="batch_name", metavar="NAME", help="a name for this batch")
    g.add_argument("--meta", type=_meta, action="append", default=[], metavar="KEY=VALUE",
                   help="metadata for every file, repeatable: --meta agent=Li --meta team=Shenzhen")
    g.add_argument("--manifest", type=Path, metavar="CSV",
                   help="CSV with a row per file: filename, kind, outcome, recorded_at, agent, team, customer, ...")
    g.add_argument("--recorded-at", metavar="TIME", help="recording time for every file (default: "
                   "manifest, then the file's creation tag, then its modification time)")
    m = ing.add_argument_group("analysis")
    m.add_argument("--language", choices=LANGUAGE_CHOICES, default=d.language, help="spoken language (default: %(default)s)")
    m.add_argument("--model", default=d.model, help=f"model hub id or local directory (default: {DEFAULT_MODEL})")
    m.add_argument("--hub", choices=("ms", "hf"), default=d.hub, help="model hub: ModelScope or Hugging Face (default: %(default)s)")
    m.add_argument("--device", default=d.device, help="auto, cpu, cuda or cuda:N (default: %(default)s)")
    m.add_argument("--threads", type=int, help="CPU threads for the model (default: all cores)")
    m.add_argument("--batch-seconds", type=float, help="padded audio seconds per model call (default: 60 on CPU, 300 on GPU)")
    m.add_argument("--vad", choices=VADS, default=d.vad, help="voice activity detector (default: %(default)s; fsmn needs the model hub)")
    m.add_argument("--max-segment", dest="max_segment_s", type=float, default=d.max_segment_s, metavar="S",
                   help="split speech longer than this (default: %(default)s s)")
    m.add_argument("--min-silence", dest="min_silence_s", type=float, default=d.min_silence_s, metavar="S",
                   help="silence that ends a segment (default: %(default)s s)")
    m.add_argument("--pause-threshold", dest="pause_threshold_s", type=float, default=d.pause_threshold_s,
                   metavar="S", help="shortest gap stored as a pause (default: %(default)s s)")
    m.add_argument("--mix", action="store_true", help="downmix stereo instead of analysing each channel")
    m.add_argument("--channel-roles", type=_roles, default=d.channel_roles, metavar="A,B",
                   help="roles of channel 0 and 1 in stereo files (default: agent,customer)")
    m.add_argument("--no-itn", dest="use_itn", action="store_false", help="no inverse text normalisation")
    m.add_argument("--max-duration", dest="max_duration_h", type=float, default=4.0, metavar="H",
                   help="refuse files longer than this many hours (default: %(default)s)")
    s = ing.add_argument_group("storage")
    s.add_argument("--db", type=Path, default=DEFAULT_DB, help="database file (default: %(default)s)")
    s.add_argument("--force", action="store_true", help="re-analyse files already ingested, replacing them")
    ing.add_argument("--quiet", action="store_true", help="no progress bar")

    sm = sub.add_parser("summary", help="what the database holds")
    sm.add_argument("--db", type=Path, default=DEFAULT_DB, help="database file (default: %(default)s)")
    return p


def _options(a: argparse.Namespace):
    from ingest.pipeline import IngestOptions

    return IngestOptions(
        db=a.db, kind=a.kind, outcome=a.outcome, batch_name=a.batch_name, metadata=dict(a.meta),
        manifest=a.manifest, recorded_at=a.recorded_at, language=a.language, device=a.device,
        model=a.model, hub=a.hub, vad=a.vad, max_segment_s=a.max_segment_s, min_silence_s=a.min_silence_s,
        pause_threshold_s=a.pause_threshold_s, mix=a.mix, channel_roles=a.channel_roles, force=a.force,
        max_duration_s=a.max_duration_h * 3600, threads=a.threads, batch_seconds=a.batch_seconds,
        use_itn=a.use_itn)


def cmd_ingest(a: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    from ingest.manifest import ManifestError
    from ingest.pipeline import ingest_paths
    from ingest.recognize import ModelUnavailable
    from ingest.store import StoreError
    from ingest.vad import VadUnavailable

    err = Console(stderr=True, soft_wrap=True)
    out = Console(soft_wrap=True)
    if not a.paths and not a.manifest:
        err.print("[red]error:[/] give files or folders to ingest, or --manifest CSV")
        return EXIT_USAGE
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[files]} files · {task.fields[audio]} audio min"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=err, disable=a.quiet, transient=False)
    task = None

    def on_progress(p):
        nonlocal task
        if task is None:
            task = bar.add_task("ingesting", total=max(p.bytes_total, 1), files="0/0", audio="0.0")
        name = Path(p.current).name if p.current else "done" if p.files_done == p.files_total else ""
        bar.update(task, completed=p.bytes_done, description=f"ingesting {name[:40]}",
                   files=f"{p.files_done}/{p.files_total}", audio=f"{p.audio_done_s / 60:.1f}")
        if p.last is not None and p.last.status == "failed" and p.current is None:
            bar.console.print(f"[red]failed[/] {p.last.path}: {p.last.reason}")

    try:
        with bar:
            report = ingest_paths(a.paths, _options(a), on_progress=on_progress)
    except (ValueError, ManifestError, StoreError) as e:
        err.print(f"[red]error:[/] {e}")
        return EXIT_USAGE
    except (ModelUnavailable, VadUnavailable) as e:
        err.print(f"[red]error:[/] {e}")
        return EXIT_MODEL
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: recordings already stored are kept; run the same command again to resume")
        return 130
    b = report.batch
    out.print(f"batch {b.batch_id} ({b.name}): [green]{b.n_ingested} ingested[/], "
              f"{b.n_skipped} skipped (already present), "
              f"{'[red]' if b.n_failed else ''}{b.n_failed} failed{'[/]' if b.n_failed else ''}; "
              f"{b.audio_s / 60:.1f} min of audio → {Path(a.db)}")
    for o in report.failed:
        out.print(f"  [red]✗[/] {o.path}: {o.reason}", highlight=False)
    return EXIT_FILES_FAILED if report.failed else EXIT_OK


def cmd_summary(a: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from analytics.db import connect
    from analytics.summary import database_summary

    con = connect(a.db)
    s = database_summary(con)
    c = Console(soft_wrap=True)
    c.print(f"[bold]{a.db}[/]: {s['recordings']} recordings, {s['audio_min']:.1f} min of audio, "
            f"{s['segments']} segments, {s['pauses']} pauses, {s['errors']} ingest errors")
    if s["by_kind"]:
        c.print("  by kind: " + ", ".join(f"{k} {n}" for k, n in s["by_kind"]))
    if s["emotions"]:
        t = Table("emotion", "segments", "speech min", title="emotions")
        for emo, n, mins in s["emotions"]:
            t.add_row(emo, str(n), f"{mins:.1f}")
        c.print(t)
    if s["events"]:
        c.print("  events: " + ", ".join(f"{e} {n}" for e, n in s["events"]))
    if s["models"]:
        c.print("  models: " + ", ".join(f"{m} ({n} recordings)" for m, n in s["models"]), highlight=False)
    if s["languages"]:
        c.print("  languages: " + ", ".join(f"{lang or '?'} {n}" for lang, n in s["languages"]))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    return {"ingest": cmd_ingest, "summary": cmd_summary}[a.command](a)


if __name__ == "__main__":
    sys.exit(main())
