"""toneboard's command line: one function per command, and the parser that reaches it.

Each command's options are declared beside what they set (``ingest.options.add_arguments``,
``analytics.filters.add_arguments``, ``analytics.export.add_*_arguments``, ``ingest.live.server.add_arguments``);
this file composes them, runs the command and turns its errors into messages and exit codes."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analytics import confidence, corrections, export, filters, report, speakers, summary, tickets
from analytics.access import commands as access
from analytics.alerts import rules
from analytics.db import Data, backup_loader, compact, connect
from analytics.experiments import commands as experiments
from analytics.experiments.estimate import saved_report_section as experiment_report
from analytics.qa import commands as qa, trends as qa_trends
from analytics.talk import commands as trackers
from analytics.talk.counts import report_section as tracker_report
from analytics.workflow import after_batch, commands as workflow
from dashboard import auth, serve
from ingest import options
from ingest.batch import demo, manifest, pipeline
from ingest.batch.console import IngestConsole
from ingest.decode import DecodeError
from ingest.errors import FATAL, SpeakerModelUnavailable
from ingest.live import client as live_client, server as live, tokens as live_tokens
from ingest.models import recognize
from ingest.speakers import voices
from ingest.store import StoreError, backup, erase, voiceprints

EXIT_OK, EXIT_FILES_FAILED, EXIT_USAGE, EXIT_MODEL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    db = argparse.ArgumentParser(add_help=False)  # the one --db, shared by the commands that take it
    db.add_argument("--db", type=Path, default=options.DEFAULT_DB, help="database file (default: %(default)s)")
    flt = argparse.ArgumentParser(add_help=False)  # the analyses' filter, with --db
    filters.add_arguments(flt)
    p = argparse.ArgumentParser(prog="toneboard", description="Hear how things were said in your recordings.")
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser

    ing = add("ingest", help="analyse recordings and store them in the database",
              description="Analyse recordings (files and folders, recursively) with SenseVoiceSmall and store "
                          "segments, tags and pauses.")
    ing.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                     help="audio/video files or folders (optional with --manifest)")
    options.add_arguments(ing)
    ing.add_argument("--quiet", action="store_true", help="no progress bar")

    recognize.add_check_arguments(add("model", help="check that the speech model can be had (fetched once, then cached)"))
    add("summary", parents=[db], help="what the database holds")
    dm = add("demo", parents=[db], help="fill the database with synthetic demo data (or remove it)")
    dm.add_argument("--remove", action="store_true", help="remove the demo data instead")
    dm.add_argument("--seed", type=int, default=7, help="random seed (default: %(default)s)")
    dm.add_argument("--if-empty", action="store_true", help="only when the database has no recordings yet")
    report.add_report_arguments(add("report", parents=[flt], help="write the HTML report for a period and filter"))
    export.add_export_arguments(add("export", parents=[flt], help="export an analysis as CSV (UTF-8 with BOM, opens in Excel)"))

    ru = add("rules", help="check a rules file")
    ru.add_argument("action", choices=("check",))
    ru.add_argument("file", type=Path, nargs="?", help="rules file (default: data/rules.yaml)")
    trackers.add_arguments(add("trackers", parents=[flt], help="trackers: a concept's many phrasings counted on every call; "
                               "list, check, count, trend, compare, moments, add, remove"))
    trackers.add_glossary_arguments(add("glossary", parents=[db], help="brand and product names heard right: check the glossary, "
                                        "apply it to the stored calls, show what a text becomes"))
    trackers.add_topic_arguments(add("topics", parents=[flt], help="what customers and students talk about: topics found "
                                     "without being asked, their share by week, the rising ones"))
    experiments.add_arguments(add("experiment", parents=[flt], help="did our change work? the difference-in-differences "
                                  "of an outcome between a pilot and everyone else, before and after a date"))
    qa.add_arguments(add("qa", parents=[flt], help="quality forms: check them, score every call on them, list the scores"))
    tickets.add_ticket_arguments(add("tickets", parents=[flt], help="evaluate the rules into tickets, list them, change their status"))
    corrections.add_arguments(add("correct", parents=[db], help="correct a segment's emotion or events (kept beside the model's)"))
    speakers.add_arguments(add("speakers", parents=[db], help="a recording's speakers; set a speaker's role or name, or swap the roles",
                               description="Corrections are stored beside what ingest found and used by every analysis."))
    confidence.add_arguments(add("thresholds", parents=[db], help="how sure a tag must be to count: list them, or set one"))
    serve.add_arguments(add("dashboard", parents=[db], help="start the web dashboard (Streamlit)"))
    access.add_hash_arguments(add("hash-password", help="make a password hash (an account's, or the single dashboard login's)"))
    access.add_user_arguments(add("users", parents=[db], help="who may sign in to the dashboard: add, list, disable, "
                                  "enable, reset-password, set-role (admin, lead, reviewer, agent, teacher)"))
    access.add_audit_arguments(add("audit", parents=[db], help="export the audit trail: who signed in, opened, "
                                   "played, exported or changed what"))
    backup.add_export_arguments(add("export-db", parents=[db],
                                    help="back up the database to a folder of Parquet files (for moving machines)"))
    add("import-db", parents=[db], help="add an export-db folder to a database (what it lacks; nothing twice)"
        ).add_argument("src", type=Path)
    add("compact", parents=[db], help="merge the recordings stored since the last compaction into the monthly "
        "files readers query (runs after every ingest batch; safe to interrupt)")
    erase.add_erase_arguments(add("erase", parents=[db], help="delete one customer's recordings everywhere"))
    access.add_retention_arguments(add("retention", parents=[db], help="delete kept audio past each kind's age"))
    erase.add_purge_arguments(add("purge", parents=[db],
                                   help="delete recordings with their segments, tickets, corrections and stored audio",
                                   description="Lists what would go; deletes only with --yes. Audio outside the data "
                                               "folder (your own folders) is never touched."))

    lv = add("live", parents=[db], help="analyse calls while they happen (WebSocket server; protocol in README)")
    options.add_model_arguments(lv, "send and store transcripts unredacted")
    live.add_arguments(lv)
    live_client.add_arguments(add("live-send", help="stream a recording to a live server as a call and print its events"))
    live_tokens.add_arguments(add("live-token", parents=[db], help="the tokens live clients need: add NAME, list, remove NAME"))

    vo = add("voices", help="voiceprints: enrol a person's voice, list or delete them",
             description="A voiceprint lets ingest name the agent or teacher of a mono recording by voice. "
                         "Voiceprints are personal data: list and delete them here; export-db leaves them out "
                         "unless --voiceprints is given.")
    options.add_voices_arguments(vo, db)
    return p


def cmd_ingest(a: argparse.Namespace) -> int:
    console, opts = IngestConsole(quiet=a.quiet), options.from_args(a)
    if not a.paths and not a.manifest:
        console.error("give files or folders to ingest, or --manifest CSV")
        return EXIT_USAGE
    try:
        with console.bar:
            outcome = pipeline.ingest_paths(a.paths, opts, on_progress=console.progress, after_batch=after_batch.hook(opts))
    except (ValueError, manifest.ManifestError, StoreError) as e:
        console.error(str(e))
        return EXIT_USAGE
    except FATAL as e:
        console.error(str(e))
        return EXIT_MODEL
    except KeyboardInterrupt:
        console.interrupted()
        return 130
    if recognize.random_weights(a.model):
        outcome.warnings.insert(0, f"{a.model} has RANDOM weights (a stand-in): the emotions, events and text it "
                                   "gives are noise, and the dashboard and report say so")
    console.report(outcome, a.db, stage_times=not a.ray)
    return EXIT_FILES_FAILED if outcome.failed else EXIT_OK


def cmd_model(a: argparse.Namespace) -> int:
    ok, said = recognize.check_model(a.model, a.hub)
    print(said)
    return EXIT_OK if ok else EXIT_MODEL


def cmd_summary(a: argparse.Namespace) -> int | None:
    print("\n".join(summary.describe(a.db, summary.database_summary(connect(a.db)))))


def cmd_demo(a: argparse.Namespace) -> int | None:
    if a.remove:
        print(f"removed {demo.remove(a.db)} demo recordings from {a.db}")
    elif a.if_empty and summary.recording_count(a.db):
        print(f"{a.db} already has recordings: no demo data added")
    else:
        after_batch.build_demo(a.db, seed=a.seed)
        print(f"demo data (synthetic, marked as such) written to {a.db}; remove it with: toneboard demo --remove")


def cmd_report(a: argparse.Namespace) -> int | None:
    con = connect(a.db)
    rules_file = Path(os.environ["TONEBOARD_RULES"]) if os.environ.get("TONEBOARD_RULES") else None  # None: data/rules.yaml
    names = rules.rule_names(rules_file, a.lang)
    flt = filters.from_args(a, con)
    a.out.write_text(report.html_report(con, flt, a.title, lang=a.lang, rule_names=names,
                                        extra=qa_trends.report_section(con, flt, a.lang)
                                        + tracker_report(con, flt, a.lang) + experiment_report(con, flt, a.lang)), encoding="utf-8")
    print(f"report → {a.out}")


def cmd_export(a: argparse.Namespace) -> int | None:
    con = connect(a.db)
    df = export.export_frame(a.what, con, filters.from_args(a, con), **{k: getattr(a, k) for k in export.EXPORT_PARAMS})
    data = export.to_csv(df, None if str(a.csv) == "-" else a.csv)
    if str(a.csv) == "-":
        sys.stdout.buffer.write(data)
    else:
        print(f"{len(df)} rows → {a.csv}", file=sys.stderr)


def cmd_correct(a: argparse.Namespace) -> int | None:
    data, events = Data(a.db), None if a.events is None else [e for e in a.events.split(",") if e.strip()]
    corrections.correct_segment(data.store, data.con, a.recording, a.seg_index, a.emotion, events, a.by)
    data.store.close()
    print("correction stored (the model's output is kept)")


def cmd_speakers(a: argparse.Namespace) -> int | None:
    data = Data(a.db)
    rid = speakers.resolve_recording(data.con, a.recording)
    if a.swap:
        speakers.swap_roles(data.store, data.con, rid, a.by)
    elif a.speaker:
        speakers.correct_speaker(data.store, data.con, rid, a.speaker, a.role, a.name, a.by)
    data.store.close()
    if a.swap or a.speaker:
        print("stored (what ingest found is kept beside it)")
    print("\n".join(speakers.listing(Data(a.db).con, rid)))


def cmd_thresholds(a: argparse.Namespace) -> int | None:
    if a.tag:
        confidence.set_threshold(Data(a.db).store, a.tag, a.threshold, a.by, a.note)
    print("\n".join(confidence.listing(Data(a.db).con)))


def cmd_export_db(a: argparse.Namespace) -> int | None:
    counts = backup.export_db(a.db, a.out, audio=a.audio, voiceprints=a.voiceprints)
    print(f"exported to {a.out}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))


def cmd_import_db(a: argparse.Namespace) -> int | None:
    added = backup.import_db(a.src, a.db, merge=backup_loader)  # straight into the compacted months
    compact(a.db)
    print(f"imported into {a.db}: " + ", ".join(f"{n} {t}" for t, n in added.items()))


def cmd_compact(a: argparse.Namespace) -> int | None:
    def progress(merged: int, of: int) -> None:
        if of > merged:  # a large batch: say how far it is
            print(f"  merged {merged:,} of {of:,} recordings", file=sys.stderr, flush=True)
    print(f"{a.db}: {compact(a.db, on_round=progress).describe()}")


def cmd_purge(a: argparse.Namespace) -> int | None:
    before = filters.parse_since(a.before) if a.before else None
    report = erase.purge(a.db, before=before, batch_id=a.batch, dry_run=not a.yes)
    print("\n".join(report.describe(dry_run=not a.yes)))


def cmd_live(a: argparse.Namespace) -> int | None:
    opts = live.options_from_args(a)
    if a.host not in ("127.0.0.1", "localhost", "::1") and not live_tokens.Tokens(a.db).known():
        return _error(f"refusing to serve live calls on {a.host} to anyone: make a token for each client first "
                      "(toneboard live-token add NAME), or keep 127.0.0.1", EXIT_USAGE)
    try:
        server = live.LiveServer(opts, after_call=after_batch.hook(opts.ingest, compaction=False))
    except FATAL as e:  # as for ingest: exit 3, the reason, no traceback
        print(f"error: {e}", file=sys.stderr)
        return EXIT_MODEL
    for w in server.pipeline.warnings:
        print(f"note: {w}", file=sys.stderr)
    if server.encoder is not None:
        print(f"mono calls: segments are attributed to the enrolled agents' voices ({server.encoder.name})")
    server.run_until_signalled(lambda: print(f"toneboard live on ws://{a.host}:{opts.port} (Ctrl-C or SIGTERM "
                                             "stores the calls in progress and stops)", flush=True))
    print(f"stopped; the calls in progress were stored ({server.batch.n_ingested} this run)", flush=True)


def cmd_live_send(a: argparse.Namespace) -> int | None:
    try:
        live_client.send_and_print(a.file, a.url, a.call_id, a.speed, a.kind, a.token)
    except live_client.SendFailed as e:
        return _error(str(e), EXIT_USAGE if e.usage else EXIT_FILES_FAILED)


def cmd_voices(a: argparse.Namespace) -> int | None:
    if a.action == "list":
        print("\n".join(voiceprints.listing(a.db)))
    elif a.action == "delete":
        n = voiceprints.delete(a.db, a.name)
        if not n:
            return _error(f"no voiceprint named {a.name!r} (toneboard voices list)", EXIT_USAGE)
        print(f"deleted {n} voiceprint(s) of {a.name}")
    else:
        try:
            vp = voices.enrol_files(a.db, a.name, a.files, a.speaker_model, a.campplus,
                                    warn=lambda m: print(f"note: {m}", file=sys.stderr))
        except DecodeError as e:
            return _error(str(e), EXIT_USAGE)
        except SpeakerModelUnavailable as e:
            return _error(str(e), EXIT_MODEL)
        print(f"enrolled {vp.name}: {vp.seconds:.1f} s of speech from {vp.files} file(s), speaker model {vp.model}")


def _error(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


COMMANDS = {  # the commands whose module runs them whole (the others: cmd_<name> above)
    "rules": workflow.run_rules, "tickets": workflow.run_tickets, "users": access.run_users, "audit": access.run_audit,
    "live-token": live_tokens.run, "erase": access.run_erase, "qa": qa.run,
    "trackers": trackers.run, "topics": trackers.run_topics, "experiment": experiments.run, "glossary": trackers.run_glossary,
    "retention": access.run_retention, "dashboard": lambda a: serve.start(a.db, a.host, a.port, a.model, a.lang, a.demo_if_empty),
    "hash-password": lambda a: print(auth.hash_password(auth.ask_password(a.stdin)))}


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    command = COMMANDS.get(a.command) or globals()["cmd_" + a.command.replace("-", "_")]  # live-send: cmd_live_send
    if a.command == "ingest":  # its own messages and exit codes (files that failed: 1, no model: 3)
        return command(a)

    try:  # the other commands (None: done): a bad filter, rule, id or folder is a clear message, never a traceback
        return command(a) or EXIT_OK
    except (ValueError, StoreError) as e:
        return _error(str(e), EXIT_USAGE)


if __name__ == "__main__":
    sys.exit(main())
