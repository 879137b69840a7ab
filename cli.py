"""toneboard's command line: ingest, summary, demo, report, export, rules, tickets, correct."""
from __future__ import annotations

import argparse
import json
import os
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
    from analytics.export import EXPORTS
    from ingest.pipeline import DEFAULT_DB, KINDS, IngestOptions
    from ingest.recognize import DEFAULT_MODEL, LANGUAGE_CHOICES, PRECISIONS
    from ingest.speakers import ENCODERS
    from ingest.vad import VADS

    d = IngestOptions()
    db_opt = argparse.ArgumentParser(add_help=False)  # the one --db, shared by the commands that take it
    db_opt.add_argument("--db", type=Path, default=DEFAULT_DB, help="database file (default: %(default)s)")
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
    m.add_argument("--precision", choices=PRECISIONS, default=d.precision,
                   help="auto: fp16 on a GPU, int8 on CPU (about 2x faster than fp32); fp32 is the reference")
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
    w = ing.add_argument_group("who spoke")
    w.add_argument("--speakers", default=d.speakers, metavar="N|auto|off",
                   help="speakers in each mono recording: auto (estimated; the default), a number from 1 to 10 "
                        "(calls and demos are usually 2), or off (one speaker, no diarization); the manifest "
                        "column 'speakers' sets it per file")
    w.add_argument("--speaker-model", choices=ENCODERS, default=d.speaker_model,
                   help="auto: CAM++, or Resemblyzer's voice encoder (offline) when CAM++ cannot be loaded")
    w.add_argument("--campplus", default=d.campplus, metavar="ID|DIR",
                   help="CAM++ model: hub id or local directory (default: %(default)s)")
    w.add_argument("--diarize-channel", type=int, choices=(0, 1),
                   help="stereo files: also tell apart the speakers on this channel (e.g. several students)")
    w.add_argument("--openings", type=Path, metavar="YAML",
                   help="opening lines that mark the agent (default: data/openings.yaml)")
    rq = ing.add_argument_group("risk queue (runs after every batch)")
    rq.add_argument("--rules", metavar="YAML|off",
                    help="rules evaluated on the new recordings; new tickets are announced (default: data/rules.yaml, "
                         "or TONEBOARD_RULES; off: not evaluated)")
    rq.add_argument("--notify", type=Path, metavar="YAML",
                    help="where new tickets are announced: webhooks, e-mail (default: data/notify.yaml if present, "
                         "or TONEBOARD_NOTIFY)")
    w.add_argument("--enrol-agents", action="store_true",
                   help="stereo calls with an agent (or teacher) named in their metadata: keep a voiceprint of "
                        "that person from their channel, if none exists yet, so their mono calls name them")
    m.add_argument("--max-duration", dest="max_duration_h", type=float, default=4.0, metavar="H",
                   help="refuse files longer than this many hours (default: %(default)s)")
    s = ing.add_argument_group("storage")
    s.add_argument("--db", type=Path, default=DEFAULT_DB, help="database file (default: %(default)s)")
    s.add_argument("--force", action="store_true", help="re-analyse files already ingested, replacing them")
    s.add_argument("--ray", metavar="ADDRESS",
                   help="analyse on a Ray cluster: 'local' starts one on this machine, or e.g. ray://head:10001 "
                        "(pip install 'toneboard[ray]'; the files are read here and sent to the workers)")
    s.add_argument("--ray-workers", type=int, metavar="N",
                   help="model actors on the cluster (default: one per GPU, else one per --threads CPUs)")
    s.add_argument("--keep-pii", action="store_true",
                   help="store transcripts with phone, ID-card, bank-card numbers and e-mails as recognised "
                        "(default: redacted to [PHONE] [ID] [CARD] [EMAIL])")
    ing.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("summary", parents=[db_opt], help="what the database holds")

    dm = sub.add_parser("demo", parents=[db_opt], help="fill the database with synthetic demo data (or remove it)")
    dm.add_argument("--remove", action="store_true", help="remove the demo data instead")
    dm.add_argument("--seed", type=int, default=7, help="random seed (default: %(default)s)")
    dm.add_argument("--if-empty", action="store_true", help="only when the database has no recordings yet")

    rp = sub.add_parser("report", help="write the HTML report for a period and filter")
    _filter_args(rp)
    rp.add_argument("--out", type=Path, required=True, help="HTML file to write")
    rp.add_argument("--title", help="the report's title (default: 'toneboard report' in its language)")
    rp.add_argument("--lang", choices=["en", "zh"], default=os.environ.get("TONEBOARD_LANG", "en"),
                    help="the report's language (default: $TONEBOARD_LANG, else en)")

    ex = sub.add_parser("export", help="export an analysis as CSV (UTF-8 with BOM, opens in Excel)")
    ex.add_argument("what", choices=sorted(EXPORTS), help="what to export")
    _filter_args(ex)
    ex.add_argument("--csv", type=Path, required=True, help="CSV file to write ('-' for standard output)")
    ex.add_argument("--query", help="search: the text to find")
    ex.add_argument("--phrase", help="reactions: the phrase (or regex with --regex)")
    ex.add_argument("--regex", action="store_true", help="reactions: the phrase is a regular expression")
    ex.add_argument("--speaker-role", help="reactions: only mentions by this role (e.g. agent)")
    ex.add_argument("--window", type=float, default=10.0, help="reactions: seconds after a mention (default: %(default)s)")
    ex.add_argument("--group-by", default="outcome", help="reactions: outcome, kind or meta:KEY (default: %(default)s)")
    ex.add_argument("--recording", help="timeline: the recording id")
    ex.add_argument("--key", help="heatmap-metadata: the metadata key (agent, team, ...)")
    ex.add_argument("--heat-tag", help="heatmap-hours: the emotion or event")
    ex.add_argument("--cohorts", nargs=2, metavar=("A", "B"), default=("won", "lost"),
                    help="compare: two outcomes (default: won lost)")

    ru = sub.add_parser("rules", help="check a rules file")
    ru.add_argument("action", choices=("check",))
    ru.add_argument("file", type=Path, nargs="?", help="rules file (default: data/rules.yaml)")

    tk = sub.add_parser("tickets", help="evaluate the rules into risk tickets, list them, change their status")
    tk.add_argument("action", choices=("evaluate", "list", "set"))
    _filter_args(tk)
    tk.add_argument("--rules", type=Path, help="rules file (default: data/rules.yaml)")
    tk.add_argument("--status", help="list: open, acknowledged or resolved; set: the new status")
    tk.add_argument("--id", dest="ticket_id", help="set: the ticket id")
    tk.add_argument("--by", default="", help="set: who changes it")

    co = sub.add_parser("correct", parents=[db_opt], help="correct a segment's emotion or events (kept beside the model's)")
    co.add_argument("recording")
    co.add_argument("seg_index", type=int)
    co.add_argument("--emotion")
    co.add_argument("--events", help="comma-separated, e.g. LAUGHTER,BGM ('' for none)")
    co.add_argument("--by", default="")

    da = sub.add_parser("dashboard", parents=[db_opt], help="start the web dashboard (Streamlit)")
    da.add_argument("--host", default="127.0.0.1",
                    help="address to bind (default: %(default)s, this machine only; use an SSH tunnel for remote use; "
                         "any other address needs a login configured, see SECURITY.md)")
    da.add_argument("--port", type=int, default=8501, help="port (default: %(default)s)")
    da.add_argument("--model", default=DEFAULT_MODEL, help="model for uploads: hub id or local directory")
    da.add_argument("--lang", choices=["zh", "en"], default="zh", help="default UI language (default: %(default)s)")
    da.add_argument("--demo-if-empty", action="store_true", help="load the demo data when the database is empty")

    ex = sub.add_parser("export-db", parents=[db_opt], help="back up the database to a folder of Parquet files (for moving machines)")
    ex.add_argument("out", type=Path, help="a new folder")
    ex.add_argument("--audio", action="store_true", help="copy each recording's audio along")
    ex.add_argument("--voiceprints", action="store_true",
                    help="copy the enrolled voiceprints along (personal data: left out unless asked for)")
    im = sub.add_parser("import-db", parents=[db_opt], help="add an export-db folder to a database (what it lacks; nothing twice)")
    im.add_argument("src", type=Path)
    sub.add_parser("compact", parents=[db_opt], help="merge the recordings stored since the last compaction into the "
                   "monthly files readers query (runs after every ingest batch; safe to interrupt)")
    pu = sub.add_parser("purge", parents=[db_opt], help="delete recordings with their segments, tickets, corrections and stored audio",
                        description="Lists what would go; deletes only with --yes. Audio outside the data folder "
                                    "(your own folders) is never touched.")
    pu.add_argument("--before", help="recorded before DATE (2026-01-01) or age (90d)")
    pu.add_argument("--batch", help="ingested in this batch id")
    pu.add_argument("--yes", action="store_true", help="really delete")

    hp = sub.add_parser("hash-password", help="make the password hash for the dashboard login",
                        description="Prints a salted scrypt hash: put it in TONEBOARD_PASSWORD_HASH or in "
                                    ".streamlit/secrets.toml as [toneboard] password_hash = \"...\".")
    hp.add_argument("--stdin", action="store_true", help="read the password from standard input (for scripts)")

    lv = sub.add_parser("live", parents=[db_opt], help="analyse calls while they happen (WebSocket server; protocol in README)")
    lv.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    lv.add_argument("--port", type=int, default=8765, help="port (default: %(default)s)")
    lv.add_argument("--model", default=d.model, help=f"model hub id or local directory (default: {DEFAULT_MODEL})")
    lv.add_argument("--device", default=d.device, help="auto, cpu, cuda or cuda:N (default: %(default)s)")
    lv.add_argument("--threads", type=int, help="CPU threads for the model (default: all cores)")
    lv.add_argument("--precision", choices=PRECISIONS, default=d.precision)
    lv.add_argument("--keep-pii", action="store_true", help="send and store transcripts unredacted")
    lv.add_argument("--resume-s", type=float, default=30.0, metavar="S",
                    help="how long a dropped call waits for its call_id to reconnect before it is stored (default: 30)")
    lv.add_argument("--alerts-lang", choices=["en", "zh"], default="en", help="language of the suggested actions")
    lim = lv.add_argument_group("limits (one abusive client cannot slow the others or fill the disk)")
    lim.add_argument("--max-calls", type=int, default=50, help="calls connected at once; more are refused (default: 50)")
    lim.add_argument("--max-speed", type=float, default=20.0, metavar="X",
                     help="audio may arrive at most X times faster than real time, after a 30 s burst; faster "
                          "senders are throttled (default: 20)")
    lim.add_argument("--max-call-h", type=float, default=4.0, metavar="H",
                     help="a call longer than this is stopped and stored (default: 4)")
    lim.add_argument("--max-disk-gb", type=float, default=50.0, metavar="GB",
                     help="kept audio of live calls; beyond it new calls are refused (default: 50; 0: no limit)")
    vo = sub.add_parser("voices", help="voiceprints: enrol a person's voice, list or delete them",
                        description="A voiceprint lets ingest name the agent or teacher of a mono recording by voice. "
                                    "Voiceprints are personal data: list and delete them here; export-db leaves them "
                                    "out unless --voiceprints is given.")
    vsub = vo.add_subparsers(dest="action", required=True)
    ve = vsub.add_parser("enrol", parents=[db_opt], help="store NAME's voiceprint from recordings of that person alone")
    ve.add_argument("name")
    ve.add_argument("files", nargs="+", type=Path, metavar="FILE")
    ve.add_argument("--speaker-model", choices=ENCODERS, default=d.speaker_model)
    ve.add_argument("--campplus", default=d.campplus, metavar="ID|DIR")
    vsub.add_parser("list", parents=[db_opt], help="the enrolled voices")
    vd = vsub.add_parser("delete", parents=[db_opt], help="delete NAME's voiceprints")
    vd.add_argument("name")

    sp = sub.add_parser("speakers", parents=[db_opt], help="a recording's speakers; set a speaker's role or name, or swap the roles",
                        description="Corrections are stored beside what ingest found and used by every analysis.")
    sp.add_argument("recording", help="recording id (or its first characters)")
    sp.add_argument("speaker", nargs="?", help="S1, S2, ... (omit to list)")
    sp.add_argument("--role", help="the speaker's role (agent, customer, teacher, student, ...)")
    sp.add_argument("--name", help="the speaker's name")
    sp.add_argument("--swap", action="store_true", help="swap the roles of the two speakers")
    sp.add_argument("--by", default="")

    ls = sub.add_parser("live-send", help="stream a recording to a live server as a call and print its events")
    ls.add_argument("file", type=Path)
    ls.add_argument("--url", default="ws://127.0.0.1:8765", help="the live server (default: %(default)s)")
    ls.add_argument("--call-id", help="the call's id (default: the file name)")
    ls.add_argument("--speed", type=float, default=1.0, help="1 real time, 4 four times faster, 0 as fast as possible")
    ls.add_argument("--kind", choices=KINDS, default="service")
    return p


def _filter_args(p: argparse.ArgumentParser) -> None:
    from ingest.options import DEFAULT_DB, KINDS, OUTCOMES

    g = p.add_argument_group("filter")
    g.add_argument("--db", type=Path, default=DEFAULT_DB, help="database file (default: %(default)s)")
    g.add_argument("--since", help="24h, 7d, 2w or a date (recorded_at)")
    g.add_argument("--until", help="a date (recorded_at, exclusive)")
    g.add_argument("--kind", action="append", default=[], choices=KINDS)
    g.add_argument("--outcome", action="append", default=[], choices=OUTCOMES)
    g.add_argument("--meta", type=_meta, action="append", default=[], metavar="KEY=VALUE")
    g.add_argument("--language", action="append", default=[])
    g.add_argument("--role", action="append", default=[], help="count only segments of this role")
    g.add_argument("--tag", action="append", default=[], help="recordings with this emotion or event")
    g.add_argument("--text", help="recordings whose transcript contains this")


def _filter(a: argparse.Namespace, con=None):
    """The command's filter; with ``con``, checked against the data (an unknown metadata key is
    the same error here as in heatmaps and group-by)."""
    from analytics.filters import Filter, parse_since, validate

    meta: dict[str, list[str]] = {}
    for k, v in a.meta:
        meta.setdefault(k, []).append(v)
    flt = Filter(since=parse_since(a.since) if a.since else None, until=parse_since(a.until) if a.until else None,
                 kinds=a.kind, outcomes=a.outcome, metadata=meta, languages=a.language, roles=a.role,
                 tags=[t.upper() for t in a.tag], text=a.text)
    if con is not None:
        validate(flt, con)
    return flt


def _options(a: argparse.Namespace):
    from ingest.pipeline import IngestOptions

    return IngestOptions(
        db=a.db, kind=a.kind, outcome=a.outcome, batch_name=a.batch_name, metadata=dict(a.meta),
        manifest=a.manifest, recorded_at=a.recorded_at, language=a.language, device=a.device,
        model=a.model, hub=a.hub, vad=a.vad, max_segment_s=a.max_segment_s, min_silence_s=a.min_silence_s,
        pause_threshold_s=a.pause_threshold_s, mix=a.mix, channel_roles=a.channel_roles, force=a.force,
        max_duration_s=a.max_duration_h * 3600, threads=a.threads, batch_seconds=a.batch_seconds,
        use_itn=a.use_itn, keep_pii=a.keep_pii, ray=a.ray, ray_workers=a.ray_workers, precision=a.precision,
        speakers=a.speakers, speaker_model=a.speaker_model, campplus=a.campplus, diarize_channel=a.diarize_channel,
        openings=a.openings, enrol_agents=a.enrol_agents, rules=a.rules, notify=a.notify)


LIST_LEFT_OUT = 20  # files left out of a folder ingest listed by name


def cmd_ingest(a: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from analytics.after_batch import hook
    from ingest.files import summary
    from ingest.manifest import ManifestError
    from ingest.pipeline import ingest_paths
    from ingest.recognize import ModelUnavailable
    from ingest.speakers import SpeakerModelUnavailable
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
        bar.update(task, completed=p.bytes_done, description=f"ingesting {escape(name[:40])}",
                   files=f"{p.files_done}/{p.files_total}", audio=f"{p.audio_done_s / 60:.1f}")
        if p.last is not None and p.last.status == "failed" and p.current is None:
            bar.console.print(f"[red]failed[/] {escape(str(p.last.path))}: {escape(p.last.reason)}", highlight=False)

    try:
        with bar:
            options = _options(a)
            report = ingest_paths(a.paths, options, on_progress=on_progress, after_batch=hook(options))
    except (ValueError, ManifestError, StoreError) as e:
        err.print(f"[red]error:[/] {escape(str(e))}")
        return EXIT_USAGE
    except (ModelUnavailable, VadUnavailable, SpeakerModelUnavailable) as e:
        err.print(f"[red]error:[/] {escape(str(e))}")
        return EXIT_MODEL
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: recordings already stored are kept; run the same command again to resume")
        return 130
    from ingest.recognize import random_weights

    if random_weights(a.model):
        report.warnings.insert(0, f"{a.model} has RANDOM weights (a stand-in): the emotions, events and text it "
                                  "gives are noise, and the dashboard and report say so")
    for w in report.warnings:
        err.print(f"[yellow]note:[/] {escape(w)}", highlight=False)
    b = report.batch
    left = f", {len(report.left_out)} not recordings ({summary(report.left_out)})" if report.left_out else ""
    out.print(f"batch {b.batch_id} ({escape(b.name)}): [green]{b.n_ingested} ingested[/], "
              f"{b.n_skipped} skipped (already present), "
              f"{'[red]' if b.n_failed else ''}{b.n_failed} failed{'[/]' if b.n_failed else ''}{left}; "
              f"{b.audio_s / 60:.1f} min of audio → {escape(str(Path(a.db)))}", highlight=False)
    if b.n_ingested and not a.ray:
        out.print(f"time per stage: {report.times.line()}", highlight=False)
    for o in report.failed:
        out.print(f"  [red]✗[/] {escape(str(o.path))}: {escape(o.reason)}", highlight=False)
    shown = [s for s in report.left_out if s.reason != "hidden"] or report.left_out
    for s in shown[:LIST_LEFT_OUT]:
        out.print(f"  [dim]–[/] {escape(str(s.path))}: {escape(s.reason)}", highlight=False)
    if len(shown) > LIST_LEFT_OUT:
        out.print(f"  … and {len(shown) - LIST_LEFT_OUT} more not shown", highlight=False)
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


def cmd_demo(a: argparse.Namespace) -> int:
    from analytics.after_batch import build_demo
    from ingest import demo

    if a.remove:
        print(f"removed {demo.remove(a.db)} demo recordings from {a.db}")
    elif a.if_empty and _recordings(a.db):
        print(f"{a.db} already has recordings: no demo data added")
    else:
        build_demo(a.db, seed=a.seed)
        print(f"demo data (synthetic, marked as such) written to {a.db}; remove it with: toneboard demo --remove")
    return EXIT_OK


def _recordings(db: Path) -> int:
    from analytics.db import Data

    return Data(db).con.execute("SELECT count(*) FROM recordings").fetchone()[0]


def cmd_export_db(a: argparse.Namespace) -> int:
    from ingest.backup import export_db

    counts = export_db(a.db, a.out, audio=a.audio, voiceprints=a.voiceprints)
    print(f"exported to {a.out}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return EXIT_OK


def cmd_import_db(a: argparse.Namespace) -> int:
    from ingest.backup import import_db

    added = import_db(a.src, a.db)
    from analytics.db import compact

    compact(a.db)
    print(f"imported into {a.db}: " + ", ".join(f"{n} {t}" for t, n in added.items()))
    return EXIT_OK


def cmd_compact(a: argparse.Namespace) -> int:
    from analytics.db import compact

    r = compact(a.db)
    if r.generation is None:
        print(f"{a.db}: nothing to compact")
    else:
        print(f"{a.db}: merged {r.merged} recordings into {len(r.months)} months "
              f"({', '.join(r.months[:6])}{' …' if len(r.months) > 6 else ''}) in {r.seconds:.1f} s; {r.generation}")
    return EXIT_OK


def cmd_purge(a: argparse.Namespace) -> int:
    from analytics.filters import parse_since
    from ingest.backup import purge

    before = parse_since(a.before) if a.before else None
    report = purge(a.db, before=before, batch_id=a.batch, dry_run=not a.yes)
    n = len(report.recordings)
    if not a.yes:
        print(f"{n} recordings would be deleted" + (" (run again with --yes to delete them)" if n else ""))
        for rid in report.recordings[:20]:
            print(f"  {rid}")
        return EXIT_OK
    print(f"deleted {n} recordings, {report.audio_files} stored audio files, "
          + ", ".join(f"{k} rows of {t}" for t, k in report.rows_removed.items()))
    return EXIT_OK


def cmd_hash_password(a: argparse.Namespace) -> int:
    from dashboard.auth import AuthError, hash_password

    if a.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        import getpass

        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise AuthError("the two passwords differ")
    print(hash_password(password))
    return EXIT_OK


def cmd_dashboard(a: argparse.Namespace) -> int:
    from analytics.after_batch import build_demo
    from dashboard.auth import check_bind
    from dashboard.serve import run_child

    check_bind(a.host)  # beyond this machine only with a login

    if a.demo_if_empty and not _recordings(a.db):
        build_demo(a.db)
        print(f"the database was empty: loaded demo data (synthetic, labelled as such; remove it with "
              f"'toneboard demo --remove --db {a.db}' or on the Overview page)")
    root = Path(__file__).resolve().parent
    model = str(Path(a.model).resolve()) if Path(a.model).exists() else a.model  # a local dir, or a hub id
    env = dict(os.environ, TONEBOARD_DB=str(Path(a.db).resolve()), TONEBOARD_MODEL=model, TONEBOARD_LANG=a.lang)
    print(f"toneboard dashboard on http://{a.host}:{a.port}  (Ctrl+C to stop)")
    # Run from the project folder so that Streamlit reads .streamlit/config.toml (upload limit, XSRF, …).
    return run_child([sys.executable, "-m", "streamlit", "run", str(root / "dashboard" / "app.py"),
                      "--server.address", a.host, "--server.port", str(a.port)], env=env, cwd=root)


def cmd_export(a: argparse.Namespace) -> int:
    from analytics.db import connect
    from analytics.export import EXPORT_PARAMS, export_frame, to_csv

    con = connect(a.db)
    df = export_frame(a.what, con, _filter(a, con), **{k: getattr(a, k) for k in EXPORT_PARAMS})
    data = to_csv(df, None if str(a.csv) == "-" else a.csv)
    if str(a.csv) == "-":
        sys.stdout.buffer.write(data)
    else:
        print(f"{len(df)} rows → {a.csv}", file=sys.stderr)
    return EXIT_OK


def cmd_report(a: argparse.Namespace) -> int:
    from analytics.db import connect
    from analytics.export import html_report
    from analytics.rules import rule_names

    con = connect(a.db)
    rules = Path(os.environ["TONEBOARD_RULES"]) if os.environ.get("TONEBOARD_RULES") else None  # None: data/rules.yaml
    a.out.write_text(html_report(con, _filter(a, con), a.title, lang=a.lang, rule_names=rule_names(rules, a.lang)),
                     encoding="utf-8")
    print(f"report → {a.out}")
    return EXIT_OK


def cmd_rules(a: argparse.Namespace) -> int:
    from analytics.rules import load_rules

    rules = load_rules(a.file)
    for r in rules:
        print(f"ok  {r.id:<24} {r.severity:<6} {r.name}")
    return EXIT_OK


def cmd_tickets(a: argparse.Namespace) -> int:
    from analytics.db import Data
    from analytics.export import to_csv
    from analytics.rules import evaluate, load_rules, open_tickets, set_status, tickets

    data = Data(a.db)
    if a.action == "evaluate":
        matches = evaluate(data.con, load_rules(a.rules), _filter(a, data.con))
        new = open_tickets(data.store, matches)
        print(f"{len(matches)} matches, {new} new tickets")
    elif a.action == "set":
        if not a.ticket_id or not a.status:
            raise ValueError("tickets set needs --id and --status")
        set_status(data.store, data.con, a.ticket_id, a.status, a.by)
        print(f"ticket {a.ticket_id}: {a.status}")
    else:
        df = tickets(data.con, _filter(a, data.con), [a.status] if a.status else None)
        sys.stdout.buffer.write(to_csv(df.drop(columns=["evidence"])))
    data.store.close()
    return EXIT_OK


def cmd_correct(a: argparse.Namespace) -> int:
    from analytics.corrections import correct_segment
    from analytics.db import Data

    data = Data(a.db)
    events = None if a.events is None else [e for e in a.events.split(",") if e.strip()]
    correct_segment(data.store, data.con, a.recording, a.seg_index, a.emotion, events, a.by)
    data.store.close()
    print("correction stored (the model's output is kept)")
    return EXIT_OK


def cmd_voices(a: argparse.Namespace) -> int:
    from ingest import voices

    if a.action == "list":
        vps = voices.load_all(a.db)
        if not vps:
            print(f"no voiceprints in {a.db}")
        for v in vps:
            print(f"{v.name}\t{v.kind} ({v.model})\t{v.seconds:.0f} s of speech from {v.files} file(s)\t"
                  f"enrolled {v.enrolled_at:%Y-%m-%d %H:%M}")
        return EXIT_OK
    if a.action == "delete":
        n = voices.delete(a.db, a.name)
        if not n:
            print(f"error: no voiceprint named {a.name!r} (toneboard voices list)", file=sys.stderr)
            return EXIT_USAGE
        print(f"deleted {n} voiceprint(s) of {a.name}")
        return EXIT_OK
    from ingest.decode import DecodeError, decode
    from ingest.speakers import SpeakerModelUnavailable, SpeakerSettings, load_encoder
    from ingest.vad import VadSettings, load_vad

    voices.check_name(a.name)
    audio = []
    for f in a.files:
        try:
            audio.append(decode(f, mix=True).samples[0])
        except DecodeError as e:
            print(f"error: {f}: {e}", file=sys.stderr)
            return EXIT_USAGE
    try:
        enc = load_encoder(SpeakerSettings(encoder=a.speaker_model, model=a.campplus),
                           warn=lambda m: print(f"note: {m}", file=sys.stderr))
    except SpeakerModelUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_MODEL
    vp = voices.enrol(a.db, a.name, audio, enc, load_vad(VadSettings()))
    print(f"enrolled {vp.name}: {vp.seconds:.1f} s of speech from {vp.files} file(s), speaker model {vp.model}")
    return EXIT_OK


def cmd_speakers(a: argparse.Namespace) -> int:
    from analytics.db import Data
    from analytics.speakers import correct_speaker, recording_speakers, resolve_recording, swap_roles

    data = Data(a.db)
    rid = resolve_recording(data.con, a.recording)
    if a.swap:
        swap_roles(data.store, data.con, rid, a.by)
    elif a.speaker:
        correct_speaker(data.store, data.con, rid, a.speaker, a.role, a.name, a.by)
    data.store.close()
    if a.swap or a.speaker:
        data.refresh()
        print("stored (what ingest found is kept beside it)")
    df = recording_speakers(Data(a.db).con, rid)
    for r in df.itertuples():
        who = f" {r.name}" if r.name else ""
        print(f"{r.speaker}\t{r.role}{who}\t{r.talk_s:.1f} s\t{r.segments} segments\t(role from {r.role_source})")
    return EXIT_OK


def cmd_live(a: argparse.Namespace) -> int:
    import asyncio
    import signal

    from analytics.after_batch import hook
    from ingest.live import LiveOptions, LiveServer
    from ingest.pipeline import IngestOptions

    opts = LiveOptions(IngestOptions(db=a.db, model=a.model, device=a.device, threads=a.threads,
                                     precision=a.precision, keep_pii=a.keep_pii),
                       host=a.host, port=a.port, resume_s=a.resume_s, rule_language=a.alerts_lang,
                       max_calls=a.max_calls, max_speed=a.max_speed, max_call_s=a.max_call_h * 3600,
                       max_disk_gb=a.max_disk_gb or None)
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        print("warning: the live server has no login; expose it only on a trusted network", file=sys.stderr)
    from ingest.recognize import ModelUnavailable
    from ingest.vad import VadUnavailable

    try:
        server = LiveServer(opts, after_call=hook(opts.ingest, compaction=False))
    except (ModelUnavailable, VadUnavailable) as e:  # as for ingest: exit 3, the reason, no traceback
        print(f"error: {e}", file=sys.stderr)
        return EXIT_MODEL
    for w in server.pipeline.warnings:
        print(f"note: {w}", file=sys.stderr)
    if server.encoder is not None:
        print(f"mono calls: segments are attributed to the enrolled agents' voices ({server.encoder.name})")

    async def main() -> None:
        """Serve until SIGTERM (systemd, Docker, Kubernetes) or SIGINT (Ctrl-C): both store every
        call in progress, then exit."""
        stop, ready = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(server.serve(ready, stop))
        await asyncio.wait({task, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
        if ready.is_set():
            print(f"toneboard live on ws://{a.host}:{opts.port} (Ctrl-C or SIGTERM stores the calls in progress "
                  "and stops)", flush=True)
        await task
        print(f"stopped; the calls in progress were stored ({server.batch.n_ingested} this run)", flush=True)

    asyncio.run(main())
    return EXIT_OK


def cmd_live_send(a: argparse.Namespace) -> int:
    import asyncio

    from ingest.live_client import send_file

    def show(ev: dict) -> None:
        ev = {k: v for k, v in ev.items() if k not in ("sent_at", "received_at")}
        print(json.dumps(ev, ensure_ascii=False), flush=True)

    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

    from ingest.decode import DecodeError

    try:
        events = asyncio.run(send_file(a.file, a.url, a.call_id, a.speed, a.kind, on_event=show))
    except DecodeError as e:
        print(f"error: {a.file}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, InvalidURI, InvalidHandshake) as e:
        print(f"error: cannot reach {a.url}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ConnectionClosed as e:  # the server went away (stopped, crashed) or closed the call
        why = f"{e.rcvd.code} {e.rcvd.reason}".strip() if e.rcvd else "no close frame: the server went away"
        print(f"error: the server closed the connection before the call was stored ({why}); run the same "
              "command again when it is back (a call_id resumes within its resume time)", file=sys.stderr)
        return EXIT_FILES_FAILED
    if not events or events[-1].get("type") != "stored":
        print("error: the connection ended before the call was stored", file=sys.stderr)
        return EXIT_FILES_FAILED
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    commands = {"ingest": cmd_ingest, "summary": cmd_summary, "demo": cmd_demo, "report": cmd_report,
                "export": cmd_export, "rules": cmd_rules, "tickets": cmd_tickets, "correct": cmd_correct,
                "dashboard": cmd_dashboard, "hash-password": cmd_hash_password,
                "export-db": cmd_export_db, "import-db": cmd_import_db, "purge": cmd_purge, "compact": cmd_compact,
                "live": cmd_live, "live-send": cmd_live_send, "voices": cmd_voices, "speakers": cmd_speakers}
    if a.command == "ingest":
        return cmd_ingest(a)
    from ingest.store import StoreError

    try:  # analysis commands: a bad filter, rule, id or folder is a clear message, never a traceback
        return commands[a.command](a)
    except (ValueError, StoreError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
