"""Calibration: the same calls scored blind by several reviewers (a round, ``qa_rounds``; their
answers are ``qa_reviews`` rows with the round's name, which decide no call's score). Per item:
how often reviewers agree (percent, with Cohen's kappa for two reviewers and Fleiss' kappa for more,
with n), and how often the machine's answer matches theirs; an item whose machine answer agrees
poorly is flagged with a sentence a lead can act on.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from itertools import combinations

import duckdb
import pandas as pd

from .forms import Form, FormError
from .review import ROUND_CHARS

POOR = 0.8  # the machine matching reviewers less often than this is flagged
MIN_CALLS = 5  # ... once it was compared on at least this many calls


def create_round(store, con: duckdb.DuckDBPyConnection, name: str, form: Form, recording_ids: list[str], by: str) -> int:
    """A calibration round of ``recording_ids`` (calls ``con`` sees and the form scores); how many."""
    name = (name or "").strip()
    if not name or len(name) > ROUND_CHARS:
        raise FormError(f"name the round with 1-{ROUND_CHARS} characters")
    if name in set(rounds(con)["round"]):
        raise FormError(f"there is a round named {name!r} already")
    known = dict(con.execute("SELECT recording_id, kind FROM recordings WHERE recording_id IN (SELECT unnest(?::VARCHAR[]))",
                             [list(recording_ids)]).fetchall())
    calls = [r for r in dict.fromkeys(recording_ids) if r in known and form.scores(known[r])]
    if len(calls) < 2:
        raise FormError(f"a round needs at least 2 calls that the form '{form.label()}' scores")
    now = datetime.now()
    store.append_rows("qa_rounds", [{"round": name, "recording_id": r, "form_id": form.id, "created_by": by,
                                     "created_at": now} for r in calls])
    return len(calls)


def sample_calls(con: duckdb.DuckDBPyConnection, form: Form, n: int, seed: int | None = None) -> list[str]:
    """``n`` calls the form has scored, drawn at random (a round's usual start)."""
    ids = [r for (r,) in con.execute("SELECT DISTINCT recording_id FROM qa_answers WHERE form_id = ? ORDER BY 1",
                                     [form.id]).fetchall()]
    return random.Random(seed).sample(ids, min(n, len(ids)))


def rounds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each round: its form, calls, reviewers who answered in it, when and by whom it was made."""
    return con.execute("""
        SELECT q.round, any_value(q.form_id) AS form_id, count(DISTINCT q.recording_id) AS calls,
               (SELECT count(DISTINCT reviewed_by) FROM qa_reviews v WHERE v.round = q.round) AS reviewers,
               min(q.created_at) AS created_at, any_value(q.created_by) AS created_by
        FROM qa_rounds q GROUP BY q.round ORDER BY created_at DESC""").df()


def round_calls(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    """The round's calls (those ``con`` sees): recording id -> file name."""
    return dict(con.execute("""SELECT DISTINCT q.recording_id, r.filename FROM qa_rounds q JOIN recordings r USING (recording_id)
                               WHERE q.round = ? ORDER BY 1""", [name]).fetchall())


def cohen_kappa(a: list, b: list) -> float | None:
    """Cohen's kappa of two raters' labels on the same items (None: chance agreement is certain)."""
    n = len(a)
    if n == 0:
        return None
    po = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return None if pe >= 1 else (po - pe) / (1 - pe)


def fleiss_kappa(ratings: list[list]) -> float | None:
    """Fleiss' kappa: each call's labels from the same number (≥ 2) of raters."""
    if not ratings or len({len(r) for r in ratings}) != 1 or len(ratings[0]) < 2:
        return None
    m, n = len(ratings[0]), len(ratings)
    cats = Counter(label for r in ratings for label in r)
    p_i = [(sum(c * c for c in Counter(r).values()) - m) / (m * (m - 1)) for r in ratings]
    pe = sum((c / (n * m)) ** 2 for c in cats.values())
    return None if pe >= 1 else (sum(p_i) / n - pe) / (1 - pe)


def _label(answer, na) -> str:
    return "na" if na or answer is None or pd.isna(answer) else f"{float(answer):g}"


def agreement(con: duckdb.DuckDBPyConnection, form: Form, name: str, lang: str = "en") -> tuple[pd.DataFrame, list[str]]:
    """Per item of the round's form: calls answered by two reviewers or more (n), the reviewers'
    percent agreement (pairs that agree) and kappa, and the machine's match with the reviewers (on
    how many calls); and the sentences flagging the machine's poor items."""
    answers = con.execute("""
        SELECT v.recording_id, v.item_id, v.reviewed_by, arg_max(v.answer, v.reviewed_at) AS answer,
               arg_max(v.na, v.reviewed_at) AS na
        FROM qa_reviews v WHERE v.round = ? AND v.form_id = ? GROUP BY ALL""", [name, form.id]).df()
    machine = {(r, i): _label(a, s == "na") if s in ("yes", "no", "na") else None for r, i, s, a in con.execute("""
        SELECT recording_id, item_id, status, answer FROM qa_answers WHERE form_id = ?
        QUALIFY row_number() OVER (PARTITION BY recording_id, item_id ORDER BY scored_at DESC) = 1""", [form.id]).fetchall()}
    rows, flags = [], []
    for item in form.items:
        mine = answers[answers["item_id"] == item.id]
        by_call = {r: {who: _label(a, na) for who, a, na in zip(g["reviewed_by"], g["answer"], g["na"])}
                   for r, g in mine.groupby("recording_id")}
        shared = {r: v for r, v in by_call.items() if len(v) >= 2}
        pairs = [x == y for v in shared.values() for x, y in combinations(sorted(v.values()), 2)]
        people = sorted({w for v in shared.values() for w in v})
        if len(people) == 2:
            a, b = people
            both = [v for v in shared.values() if a in v and b in v]
            kappa, method = cohen_kappa([v[a] for v in both], [v[b] for v in both]), "Cohen"
        else:
            sizes = Counter(len(v) for v in shared.values())
            m = sizes.most_common(1)[0][0] if sizes else 0
            kappa, method = fleiss_kappa([sorted(v.values()) for v in shared.values() if len(v) == m]), \
                ("Fleiss" if shared else None)  # no call answered twice: no method to name
        compared = [(r, lab == machine.get((r, item.id))) for r, v in by_call.items() for lab in v.values()
                    if machine.get((r, item.id)) is not None]
        calls_compared = len({r for r, _ in compared})
        match = sum(ok for _, ok in compared) / len(compared) if compared else None
        rows.append({"item_id": item.id, "item": item.label(lang), "calls": len(shared),
                     "agreement": sum(pairs) / len(pairs) if pairs else None, "kappa": kappa, "kappa_method": method,
                     "machine_match": match, "machine_calls": calls_compared})
        if match is not None and calls_compared >= MIN_CALLS and match < POOR:
            flags.append(FLAG[lang].format(item=item.label(lang), pct=round(100 * match), n=calls_compared))
    return pd.DataFrame(rows), flags


FLAG = {"en": "'{item}': the automatic answer matches reviewers on {pct} % of {n} calls — check its condition",
        "zh": "“{item}”：自动判定与质检员一致的比例为 {pct}%（{n} 通）——请检查它的条件"}
