"""QA in the manager's views: a form's scores by week (per agent or team), the items failed most,
per person, and a summary; each over the recordings a filter selects, in SQL on the reader's
(scoped) cursor."""
from __future__ import annotations

import html
from dataclasses import replace

import duckdb
import pandas as pd

from ..corrections import wilson
from ..filters import Filter, recording_where
from ..report import table_html
from .forms import Form, FormError, load_forms
from .scores import CALLS_SQL, ITEMS_SQL, call_scores


def _calls(con, flt: Filter | None, form: Form, group: str | None) -> tuple[str, list]:
    """SQL of the form's calls with their score, week and (``group``: a metadata key) group."""
    where, params = recording_where(flt)
    grp = ("(SELECT value FROM metadata m WHERE m.recording_id = c.recording_id AND m.key = ?)" if group else "NULL")
    sql = f"""SELECT c.*, r.recorded_at, date_trunc('week', r.recorded_at) AS week, {grp} AS grp, c.score >= ? AS passed
              FROM ({CALLS_SQL}) c JOIN recordings r USING (recording_id)
              WHERE c.form_id = ? AND c.score IS NOT NULL AND {where}"""
    return sql, ([group] if group else []) + [form.pass_mark, form.id] + params


def summary(con: duckdb.DuckDBPyConnection, form: Form, flt: Filter | None = None) -> dict:
    """Calls scored, average score, share passing, auto-fails, calls waiting for a person."""
    sql, params = _calls(con, flt, form, None)
    row = con.execute(f"""SELECT count(*), avg(score), avg(passed::INT), count(*) FILTER (WHERE failed_fatal),
                                 count(*) FILTER (WHERE waiting > 0), count(*) FILTER (WHERE reviewed_items > 0)
                          FROM ({sql})""", params).fetchone()
    return dict(zip(("calls", "average", "pass_rate", "fatal", "waiting", "reviewed"), row))


def weekly(con: duckdb.DuckDBPyConnection, form: Form, flt: Filter | None = None, by: str | None = None) -> pd.DataFrame:
    """Average score and calls per week (and per value of metadata key ``by``: agent, team)."""
    sql, params = _calls(con, flt, form, by)
    return con.execute(f"""SELECT week, coalesce(grp, '–') AS grp, avg(score) AS score, count(*) AS calls,
                                  avg(passed::INT) AS pass_rate
                           FROM ({sql}) GROUP BY ALL ORDER BY week, grp""", params).df()


def by_person(con: duckdb.DuckDBPyConnection, form: Form, flt: Filter | None = None, key: str = "agent") -> pd.DataFrame:
    """Per value of ``key``: calls, average score, pass rate, auto-fails; the lowest average first."""
    sql, params = _calls(con, flt, form, key)
    return con.execute(f"""SELECT grp AS "{key}", count(*) AS calls, avg(score) AS score, avg(passed::INT) AS pass_rate,
                                  count(*) FILTER (WHERE failed_fatal) AS fatal
                           FROM ({sql}) WHERE grp IS NOT NULL GROUP BY ALL ORDER BY score, calls DESC""", params).df()


def items_failed(con: duckdb.DuckDBPyConnection, form: Form, flt: Filter | None = None, lang: str = "en") -> pd.DataFrame:
    """Per item: calls it applied to and was answered on, how many missed it (below its best
    answer), the share, how many of those a person confirmed or set; the most missed first."""
    where, params = recording_where(flt)
    df = con.execute(f"""
        SELECT i.item_id, count(*) FILTER (WHERE NOT i.na AND NOT i.pending) AS answered,
               count(*) FILTER (WHERE NOT i.na AND NOT i.pending AND i.answer < i.top) AS missed,
               count(*) FILTER (WHERE NOT i.na AND NOT i.pending AND i.answer < i.top AND i.reviewed) AS missed_reviewed
        FROM ({ITEMS_SQL}) i JOIN recordings r USING (recording_id)
        WHERE i.form_id = ? AND {where} GROUP BY ALL""", [form.id] + params).df()
    names = {i.id: i.label(lang) for i in form.items}
    df = df[df["item_id"].isin(names)]
    df.insert(1, "item", df["item_id"].map(names))
    df["miss_rate"] = df["missed"] / df["answered"].where(df["answered"] > 0)
    return df.sort_values(["miss_rate", "missed"], ascending=False).reset_index(drop=True)


def of_person(con: duckdb.DuckDBPyConnection, form: Form, key: str, person: str, flt: Filter | None = None,
              lang: str = "en") -> dict:
    """A person's quality on a form (``key``: agent or teacher): their summary beside everyone's the
    filter selects, the items they missed (most missed first) and their calls, newest first."""
    base = flt or Filter()
    mine = replace(base, metadata={**base.metadata, key: [person]})
    return {"summary": summary(con, form, mine), "everyone": summary(con, form, base),
            "items": items_failed(con, form, mine, lang), "calls": call_scores(con, mine, form.id)}


def items_by_cohort(con: duckdb.DuckDBPyConnection, form: Form, a: Filter, b: Filter, lang: str = "en") -> pd.DataFrame:
    """Each item's miss rate in two cohorts (won and lost demos): missed and answered in each, the
    rates with 95 % Wilson intervals, and the difference (a - b); the largest difference first."""
    ia, ib = items_failed(con, form, a, lang), items_failed(con, form, b, lang)
    df = ia[["item_id", "item", "missed", "answered"]].merge(ib[["item_id", "missed", "answered"]], on="item_id",
                                                              suffixes=("_a", "_b"))
    df = df[(df["answered_a"] > 0) & (df["answered_b"] > 0)].copy()
    for side in ("a", "b"):
        k, n = df[f"missed_{side}"].astype(int), df[f"answered_{side}"].astype(int)
        df[f"miss_rate_{side}"] = k / n
        bounds = [wilson(x, y) for x, y in zip(k, n)]
        df[f"low_{side}"], df[f"high_{side}"] = [lo for lo, _ in bounds], [hi for _, hi in bounds]
    df["difference"] = df["miss_rate_a"] - df["miss_rate_b"]
    return df.sort_values("difference", key=abs, ascending=False).reset_index(drop=True)


def report_html(con: duckdb.DuckDBPyConnection, forms: list[Form], flt: Filter | None = None, lang: str = "en") -> str:
    """The HTML report's quality section: per form with scored calls, the summary in a sentence, the
    items missed most and the people with the lowest averages."""
    parts = []
    for form in forms:
        s = summary(con, form, flt)
        if not s["calls"]:
            continue
        parts.append(f"<h3>{html.escape(form.label(lang))}</h3><p>" + html.escape(REPORT[lang].format(
            n=s["calls"], avg=s["average"], rate=s["pass_rate"], mark=form.pass_mark, fatal=s["fatal"],
            waiting=s["waiting"])) + "</p>")
        failed = items_failed(con, form, flt, lang)
        parts.append(table_html(failed[["item", "missed", "answered", "miss_rate"]].head(8), lang))
        key = "teacher" if form.kinds == ("class",) else "agent"
        parts.append(table_html(by_person(con, form, flt, key).head(10), lang))
    title = "Quality forms" if lang == "en" else "质检评分"
    return f"<h2>{title}</h2>" + "".join(parts) if parts else ""


REPORT = {"en": "{n} calls scored, average {avg:.1f}, {rate:.0%} at or above the pass mark ({mark:g}), {fatal} auto-fail(s), "
                "{waiting} waiting for a reviewer.",
          "zh": "已评分 {n} 通，平均 {avg:.1f} 分，{rate:.0%} 达到合格线（{mark:g} 分），否决 {fatal} 通，待人工评分 {waiting} 通。"}


def report_section(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, lang: str = "en") -> str:
    """``report_html`` on the forms of the forms folder; a form that does not load is named instead."""
    try:
        return report_html(con, load_forms(), flt, lang)
    except FormError as e:
        return f"<p class='muted'>{html.escape(str(e))}</p>"
