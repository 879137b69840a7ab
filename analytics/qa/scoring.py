"""The machine's answers to a form's items on every call, with the moments that decided each: run
after every batch and live call (``analytics.workflow.after_batch``) and by ``toneboard qa score``.

Idempotent: a call already answered on a form's current version is not answered again; a new
version (``forms.Form.version``) answers it again, and a person's answers (``qa_reviews``) stay as
they are. One file of ``qa_answers`` per run (readers query them in place), written in one step.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ingest.records import now

from ..alerts.conditions import MAX_EVIDENCE, Scene, describe, evaluated, holds, window
from ..alerts.evaluation import scenes
from ..db import Data
from .forms import Form, Item, load_forms

ROWS_PER_FILE = 200_000  # answers written per file (a year of calls: a few files per run)


@dataclass
class ScoreReport:
    calls: int = 0  # calls answered on at least one form
    answers: int = 0
    by_form: dict[str, int] = field(default_factory=dict)  # form id -> calls answered
    seconds: float = 0.0

    def describe(self) -> str:
        if not self.calls:
            return "every call is scored on the current version of its forms: nothing to do"
        forms = ", ".join(f"{n} on {fid}" for fid, n in sorted(self.by_form.items()))
        return f"{self.calls} call(s) scored ({forms}) in {self.seconds:.1f} s"


def _texts(scene: Scene, moments: list[dict]) -> list[dict]:
    """The moments with the words said in them (a segment starting there), for the reviewer."""
    if not moments or scene.segs.empty:
        return moments
    if "_texts" not in scene.memo:  # once per call
        scene.memo["_texts"] = dict(zip(scene.segs["start_s"].round(3), scene.segs["text"]))
    by_start = scene.memo["_texts"]
    out = []
    for m in moments:
        text = by_start.get(round(m["start_s"], 3)) if not m.get("absence") else None
        out.append({**m, "text": text} if text else m)
    return out


def _why_not(c: dict, scene: Scene) -> list[dict]:
    """What made condition ``c`` fail: the moments found where it wanted none (or ``not`` one), or
    the span that was searched in vain, or the measure's value."""
    _, found = evaluated(c, scene)
    found = [m for m in found if not m.get("absence")]
    if found:
        return found
    if "dynamics" in c:
        d = c["dynamics"]
        value = scene.dyn.get((d.get("role", "*"), d["metric"]))
        shown = "not measured" if value is None or pd.isna(value) else f"{value:.3g}"
        return [{"start_s": 0.0, "end_s": round(scene.duration, 3), "what": f"{describe(c)}: {shown}", "absence": True}]
    b, e = window(c, scene)
    return [{"start_s": round(b, 3), "end_s": round(max(e, b), 3), "what": f"not found: {describe(c)}", "absence": True}]


def _decide(mode: str, conditions: tuple[dict, ...], scene: Scene) -> tuple[bool, list[dict]]:
    results = [(c, *holds(c, scene)) for c in conditions]
    hit = all(ok for _, ok, _ in results) if mode == "all" else any(ok for _, ok, _ in results)
    if hit:
        moments = [m for _, ok, ev in results if ok for m in ev]
    else:
        moments = [m for c, ok, _ in results if not ok for m in _why_not(c, scene)]
    return hit, sorted(moments, key=lambda m: m["start_s"])[:MAX_EVIDENCE]


def answer(item: Item, scene: Scene) -> tuple[str, float | None, list[dict]]:
    """The machine's answer to ``item`` on a call: (yes | no | na | person, 1 / 0 / None, moments)."""
    if item.applies is not None:
        applies, why = _decide(*item.applies, scene)
        if not applies:
            return "na", None, _texts(scene, why)
    if item.auto is None:
        return "person", None, []
    hit, moments = _decide(*item.auto, scene)
    return ("yes", 1.0, _texts(scene, moments)) if hit else ("no", 0.0, _texts(scene, moments))


def rows_for(form: Form, recording_id: str, scene: Scene, at) -> list[dict]:
    rows = []
    for item in form.items:
        status, value, moments = answer(item, scene)
        rows.append({"recording_id": recording_id, "form_id": form.id, "form_version": form.version, "item_id": item.id,
                     "status": status, "answer": value, "top": float(item.scale), "weight": item.weight,
                     "fatal": item.fatal, "evidence": json.dumps(moments, ensure_ascii=False), "scored_at": at})
    return rows


def answered(con) -> dict[tuple[str, str], str]:
    """(recording, form) -> the form version its latest answers are of."""
    return {(r, f): v for r, f, v in con.execute(
        "SELECT recording_id, form_id, arg_max(form_version, scored_at) FROM qa_answers GROUP BY ALL").fetchall()}


def score_calls(db: str | Path, forms: list[Form] | None = None, recording_ids: list[str] | None = None,
                on_progress: Callable[[int, int], None] | None = None) -> ScoreReport:
    """Answer every form on the calls (of its kinds) that have no answers on its current version
    (given ``recording_ids``: only among those). ``on_progress(done, of)`` follows a long run."""
    started, report = time.perf_counter(), ScoreReport()
    forms = load_forms() if forms is None else forms
    data = Data(db)
    try:
        if not forms:
            return report
        con = data.con
        kinds = dict(con.execute("SELECT recording_id, kind FROM recordings").fetchall())
        wanted = set(kinds) if recording_ids is None else set(recording_ids) & set(kinds)
        done = answered(con)
        todo: dict[str, list[Form]] = {}
        for rid in wanted:
            todo[rid] = [f for f in forms if f.scores(kinds[rid]) and done.get((rid, f.id)) != f.version]
        todo = {r: fs for r, fs in todo.items() if fs}
        rows, at = [], now()
        for n, (rec, scene) in enumerate(scenes(con, recording_ids=set(todo)), 1):
            for form in todo[rec.recording_id]:
                rows += rows_for(form, rec.recording_id, scene, at)
                report.by_form[form.id] = report.by_form.get(form.id, 0) + 1
            report.calls += 1
            if len(rows) >= ROWS_PER_FILE:
                report.answers += _write(data.store, rows)
                rows = []
            if on_progress and n % 500 == 0:
                on_progress(n, len(todo))
        report.answers += _write(data.store, rows)
    finally:
        data.con.close()
        data.store.close()
        report.seconds = time.perf_counter() - started
    return report


def _write(store, rows: list[dict]) -> int:
    if rows:
        store.append_rows("qa_answers", rows)
    return len(rows)
