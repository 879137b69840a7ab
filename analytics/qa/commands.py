"""``toneboard qa``: check the forms, score the calls, list the scores, show what conditions can say."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import export, filters
from ..alerts.conditions import CONDITIONS, FIELDS
from ..db import Data
from . import scores
from .forms import forms_dir, load_form, load_forms
from .scoring import score_calls

ACTIONS = ("check", "score", "list", "conditions")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=ACTIONS, help="check: the forms (or FILE); score: every call not scored on its "
                   "forms' current version; list: the calls' scores as CSV; conditions: what an item's conditions can say")
    p.add_argument("file", type=Path, nargs="?", help="check: one form file (default: every form in the forms folder)")
    p.add_argument("--form", help="list: one form's scores (its id)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="conditions: the language (default: %(default)s)")


def run(a: argparse.Namespace) -> None:
    if a.action == "check":
        forms = [load_form(a.file)] if a.file else load_forms()
        if not forms:
            raise ValueError(f"no forms in {forms_dir()} (a form is a YAML file there; see data/forms/service.yaml)")
        for f in forms:
            auto = sum(1 for i in f.items if i.auto)
            print(f"ok  {f.id:<16} {len(f.items)} items ({auto} answered by the machine), version {f.version}  {f.name}")
    elif a.action == "score":
        def progress(done: int, of: int) -> None:
            print(f"  scored {done:,} of {of:,} calls", file=sys.stderr, flush=True)
        print(score_calls(a.db, on_progress=progress).describe())
    elif a.action == "list":
        data = Data(a.db)
        df = scores.call_scores(data.con, filters.from_args(a, data.con), a.form)
        sys.stdout.buffer.write(export.to_csv(df))
    else:
        zh = a.lang == "zh"
        print("\n".join([f"{k:<10} {c.words[zh]}" for k, c in CONDITIONS.items()] + [""] +
                        [f"  {f:<15} {w[zh]}" for f, w in FIELDS.items()]))
