"""``toneboard trackers``: check the trackers, count them on every call, show a tracker's trend
and how often each cohort says it, add or remove one."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import export, filters
from ..db import Data
from . import counts
from .trackers import TrackerError, load_trackers, parse_tracker, remove, slug, trackers_file, upsert

ACTIONS = ("list", "check", "count", "trend", "compare", "moments", "add", "remove")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=ACTIONS, help="list: every tracker and how many calls say it; check: the trackers file "
                   "(or FILE); count: count them on every call not counted yet; trend: one tracker by week (CSV); "
                   "compare: how often won and lost (or angry and calm) calls say it; moments: where it is said; "
                   "add: a tracker from phrases; remove: one")
    p.add_argument("tracker", nargs="?", help="trend, compare, moments, remove: the tracker's id; check: a file to check")
    p.add_argument("--phrase", action="append", default=[], help="add: a phrase (repeat for more)")
    p.add_argument("--name", help="add: its name (default: the first phrase)")
    p.add_argument("--id", dest="tracker_id", help="add: its id (default: made from the name)")
    p.add_argument("--said-by", choices=("agent", "customer", "teacher", "student"), help="add: only when this role says it")
    p.add_argument("--sounds-like", action="store_true", help="add: also characters that sound the same (pinyin)")
    p.add_argument("--period", choices=tuple(counts.PERIODS), default="week", help="trend: day, week or month (default: %(default)s)")
    p.add_argument("--by", choices=counts.COHORTS, default="outcome", help="compare: outcome (won / lost) or emotion "
                   "(an angry customer or student / calm) (default: %(default)s)")


def _one(tracker_id: str | None):
    if not tracker_id:
        raise TrackerError("name a tracker by its id (toneboard trackers list)")
    for t in load_trackers():
        if t.id == tracker_id:
            return t
    raise TrackerError(f"no tracker has the id {tracker_id!r} in {trackers_file()} (toneboard trackers list)")


def _progress(done: int, of: int) -> None:
    print(f"  counted {done:,} of {of:,}", file=sys.stderr, flush=True)


def run(a: argparse.Namespace) -> None:
    if a.action == "check":
        found = load_trackers(Path(a.tracker) if a.tracker else None)
        if not found:
            raise TrackerError(f"no trackers in {a.tracker or trackers_file()}")
        for t in found:
            print(f"ok  {t.id:<20} {len(t.phrases)} phrase(s), {len(t.spellings())} spellings, version {t.version}  {t.name}")
        return
    if a.action == "add":
        if not a.phrase:
            raise TrackerError("add: give at least one --phrase")
        name = a.name or a.phrase[0]
        raw = {"id": a.tracker_id or slug(name), "name": name, "phrases": a.phrase}
        if a.said_by:
            raw["role"] = a.said_by
        if a.sounds_like:
            raw["sounds_like"] = True
        t = parse_tracker(raw)
        print(f"tracker {t.id!r} saved to {upsert(t)} ({len(t.spellings())} spellings)")
        print(counts.count(a.db, [t], on_progress=_progress).describe())
        return
    if a.action == "remove":
        print(f"tracker {_one(a.tracker).id!r} removed from {remove(a.tracker)} (its counts stay in the store)")
        return
    if a.action == "count":
        print(counts.count(a.db, on_progress=_progress).describe())
        return
    trackers = load_trackers() if a.action == "list" else [_one(a.tracker)]
    counts.count(a.db, trackers, on_progress=_progress)  # what is read is counted first
    data = Data(a.db)
    try:
        flt = filters.from_args(a, data.con)
        if a.action == "list":
            df = counts.summary(data.con, trackers, flt)
            names = {t.id: t.name for t in trackers}
            for r in df.itertuples():
                print(f"{r.id:<20} {r.said:>6} of {r.n:<6} calls ({100 * r.share:5.1f} %, 95 % {100 * r.lo:.1f}-{100 * r.hi:.1f})"
                      f"  {names[r.id]}" if r.n else f"{r.id:<20} no calls counted  {names[r.id]}")
            return
        t = trackers[0]
        if a.action == "trend":
            df = counts.trend(data.con, t, flt, a.period)
        elif a.action == "compare":
            df = counts.compare(data.con, t, a.by, flt)
        else:
            df = counts.moments(data.con, t, flt, limit=200)
        sys.stdout.buffer.write(export.to_csv(df))
    finally:
        data.con.close()


def add_topic_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weeks", type=int, default=8, help="the last N weeks before the newest call (default: %(default)s; "
                   "--since overrides)")
    p.add_argument("--topics", type=int, help="how many topics, 2-40 (default: chosen from 8 to 20 by how well calls fit)")
    p.add_argument("--side", choices=("customer", "student", "both"), default="both",
                   help="whose lines (default: the customer's and the student's)")
    p.add_argument("--seed", type=int, default=0, help="where the factorisation starts (default: %(default)s)")
    p.add_argument("--stability", action="store_true", help="also run with 4 more seeds and print the adjusted Rand index")


def run_topics(a: argparse.Namespace) -> None:
    from . import topics
    if not 1 <= a.weeks <= 520:
        raise ValueError("--weeks must be from 1 to 520")
    if a.topics is not None and not 2 <= a.topics <= 40:
        raise ValueError("--topics must be from 2 to 40")
    data = Data(a.db)
    try:
        flt = topics.period(data.con, a.weeks, filters.from_args(a, data.con))
        sides = topics.SIDES if a.side == "both" else (a.side,)
        docs = topics.documents(data.con, flt, sides)
        print(f"finding topics in {len(docs):,} calls …", file=sys.stderr, flush=True)
        run = topics.find(docs, a.topics, a.seed)
        if not run.topics:
            print(f"too few calls to find topics ({run.calls}; at least {topics.MIN_CALLS} with words on that side)")
            return
        topics.save(data.store, run)
        print(f"{len(run.topics)} topics in {run.calls:,} calls ({run.seconds:.1f} s):")
        for t in run.topics:
            won = f"{t.won:.0%} won of {t.with_outcome}" if t.won is not None else "no outcomes"
            print(f"  {t.index + 1:>2}. {t.share:6.1%} ({t.calls:,} calls; {t.angry:.0%} angry; {won})  {' · '.join(t.phrases)}")
        for r in run.rising:
            print(f"rising: topic {r['topic'] + 1} ({' · '.join(run.topics[r['topic']].phrases[:3])}): "
                  f"{r['share']:.0%} of the calls of the week of {r['week']}, against {r['baseline']:.0%} the 4 weeks before")
        if a.stability:
            scores = topics.stability(docs, seeds=(a.seed, a.seed + 1, a.seed + 2, a.seed + 3, a.seed + 4), k=len(run.topics))
            print("stability (adjusted Rand index against seed", a.seed, "):", ", ".join(f"{s:.3f}" for s in scores))
    finally:
        data.con.close()


def add_glossary_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("check", "apply", "show"), help="check: the glossary (or FILE); apply: correct the stored "
                   "calls as the glossary says now (their recognised text kept beside); show: what TEXT becomes")
    p.add_argument("text", nargs="?", help="check: a glossary file; show: a text to correct")
    p.add_argument("--dry-run", action="store_true", help="apply: say what would change, change nothing")


def run_glossary(a: argparse.Namespace) -> None:
    from ingest import glossary as gl

    from .glossary import apply
    if a.action == "check":
        terms = gl.load(Path(a.text) if a.text else None)
        if not terms:
            raise gl.GlossaryError(f"no terms in {a.text or gl.glossary_file()} (see data/glossary.example.yaml)")
        for t in terms:
            print(f"ok  {t.term:<20} sounds {' '.join(t.sounds) or '-':<20} aliases: {', '.join(t.aliases) or '-'}")
    elif a.action == "show":
        text, fixes = gl.correct(a.text or "")
        print(text)
        for f in fixes:
            print(f"  {f['from']} -> {f['to']} (at {f['at']})", file=sys.stderr)
    else:
        def progress(done: int, of: int) -> None:
            print(f"  read {done:,} of {of:,} calls", file=sys.stderr, flush=True)
        report = apply(a.db, dry_run=a.dry_run, on_progress=progress)
        print(("would change: " if a.dry_run else "") + report.describe())
