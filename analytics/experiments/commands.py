"""``toneboard experiment``: did our change work? List the saved experiments with their answers, show
one, add, remove or check them."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import export, filters
from ..db import Data
from . import design, estimate

ACTIONS = ("list", "show", "add", "remove", "check")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=ACTIONS, help="list: every saved experiment and its answer; show: one (its groups as CSV "
                   "with --csv); add: save one; remove: one; check: the experiments file (or FILE)")
    p.add_argument("experiment", nargs="?", help="show, remove: the experiment's id; check: a file")
    p.add_argument("--id", dest="exp_id", help="add: its id (a-z, 0-9, - and _)")
    p.add_argument("--name", help="add: its name")
    p.add_argument("--change", help="add: the day the change began (YYYY-MM-DD)")
    p.add_argument("--measure", help="add: what is measured: won, angry, talk_share, qa:<form id> or tracker:<tracker id>")
    p.add_argument("--pilot", action="append", default=[], metavar="KEY=VALUE",
                   help="add: the pilot group by metadata (repeat for more values or keys)")
    p.add_argument("--pilot-tracker", help="add: the pilot group: calls that say this tracker")
    p.add_argument("--weeks", type=int, default=4, help="add: weeks compared before and after (default: %(default)s)")
    p.add_argument("--kinds", action="append", default=[], help="add: the kinds of call it is about")
    p.add_argument("--csv", action="store_true", help="show: the four groups (n, mean) and the answer as CSV")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="the sentence's language (default: %(default)s)")


def run(a: argparse.Namespace) -> None:
    if a.action == "check":
        found = design.load(Path(a.experiment) if a.experiment else None)
        if not found:
            raise design.ExperimentError(f"no experiments in {a.experiment or design.experiments_file()}")
        for e in found:
            print(f"ok  {e.id:<24} {e.outcome:<20} change {e.change}  {e.name}")
        return
    if a.action == "add":
        pilot: dict[str, list[str]] = {}
        for pair in a.pilot:
            key, sep, value = pair.partition("=")
            if not sep or not key or not value:
                raise design.ExperimentError(f"--pilot: expected KEY=VALUE (got {pair!r})")
            pilot.setdefault(key.strip(), []).append(value.strip())
        raw = {"id": a.exp_id, "name": a.name or a.exp_id, "change": a.change, "outcome": a.measure, "weeks": a.weeks,
               **({"pilot": pilot} if pilot else {}), **({"pilot_tracker": a.pilot_tracker} if a.pilot_tracker else {}),
               **({"kinds": a.kinds} if a.kinds else {})}
        e = design.parse(raw)
        print(f"experiment {e.id!r} saved to {design.upsert(e)}")
        a.action, a.experiment = "show", e.id
    if a.action == "remove":
        print(f"experiment {a.experiment!r} removed from {design.remove(a.experiment or '')}")
        return
    saved = design.load()
    if a.action == "show":
        saved = [e for e in saved if e.id == a.experiment]
        if not saved:
            raise design.ExperimentError(f"no experiment has the id {a.experiment!r} (toneboard experiment list)")
    if not saved:
        print(f"no experiments saved yet ({design.experiments_file()}): toneboard experiment add --help")
        return
    data = Data(a.db)
    try:
        flt = filters.from_args(a, data.con)
        for e in saved:
            answer = estimate.estimate(data.con, e, flt)
            if a.csv:
                cells = answer.cells.assign(estimate=answer.estimate, lo=answer.lo, hi=answer.hi)
                sys.stdout.buffer.write(export.to_csv(cells))
            else:
                print(f"{e.id}: {estimate.sentence(answer, a.lang)}")
    finally:
        data.con.close()
