"""The answer to an experiment: each call's outcome in the weeks before and after the change, in the
pilot and elsewhere; the difference-in-differences

    (pilot after - pilot before) - (others after - others before)

with a 95 % interval (normal, the four groups' variances over their n: calls are taken as independent,
so calls of one agent that resemble each other make the interval too narrow), n, a chart's weekly
series and one sentence. Without a pilot: after - before for every call.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from ..filters import Filter, recording_where
from ..qa.scores import calls_sql
from ..talk.trackers import current_trackers
from .design import Experiment, ExperimentError

Z95 = 1.959964
MIN_CELL = 10  # fewer calls than this in a group and period: too few to say


@dataclass
class Answer:
    experiment: Experiment
    cells: pd.DataFrame        # group (pilot | others | all), period (before | after), n, mean, var
    estimate: float | None     # the difference-in-differences (without a pilot: after - before)
    lo: float | None
    hi: float | None
    n: int
    percent: bool              # the outcome is a share (points) rather than a score
    weekly: pd.DataFrame       # week, group, value, n

    @property
    def enough(self) -> bool:
        return self.estimate is not None and int(self.cells["n"].min()) >= MIN_CELL

    @property
    def verdict(self) -> str:
        """too_few | probably_real (the interval leaves 0 out) | could_be_chance."""
        if not self.enough:
            return "too_few"
        return "probably_real" if self.lo > 0 or self.hi < 0 else "could_be_chance"

    def cell(self, group: str, period: str) -> float | None:
        row = self.cells[(self.cells["group"] == group) & (self.cells["period"] == period)]
        return float(row["mean"].iloc[0]) if len(row) and row["n"].iloc[0] else None


def _outcome_sql(e: Experiment) -> tuple[str, list, bool]:
    """(a SQL source of recording_id, y; its parameters; whether y is a share)."""
    kind, _, arg = e.outcome.partition(":")
    if kind == "won":
        return "SELECT recording_id, CASE outcome WHEN 'won' THEN 1.0 ELSE 0.0 END AS y FROM recordings " \
               "WHERE outcome IN ('won', 'lost')", [], True
    if kind == "angry":
        return "SELECT r.recording_id, coalesce(a.angry, FALSE)::DOUBLE AS y FROM recordings r LEFT JOIN (SELECT recording_id, " \
               "bool_or(n_ANGRY > 0) AS angry FROM role_stats WHERE role IN ('customer', 'student') GROUP BY 1) a USING (recording_id)", \
               [], True
    if kind == "talk_share":
        return """SELECT a.recording_id, sum(a.talk_s) FILTER (WHERE a.role IN ('agent', 'teacher')) / nullif(any_value(t.talk_s), 0) AS y
                  FROM role_stats a JOIN role_stats t ON t.recording_id = a.recording_id AND t.role = '*'
                  WHERE a.role <> '*' GROUP BY 1 HAVING y IS NOT NULL""", [], True
    if kind == "qa":
        return f"SELECT recording_id, score AS y FROM ({calls_sql('form_id = ?')}) WHERE score IS NOT NULL", [arg, arg], False
    t = next((x for x in current_trackers() if x.id == arg), None)
    if t is None:
        raise ExperimentError(f"{e.id}: outcome: no tracker has the id {arg!r}")
    return "SELECT recording_id, max(segments > 0)::DOUBLE AS y FROM tracker_hits WHERE tracker_id = ? AND tracker_version = ? " \
           "GROUP BY 1", [t.id, t.version], True


def _pilot_sql(e: Experiment) -> tuple[str, list]:
    if e.pilot_tracker:
        t = next((x for x in current_trackers() if x.id == e.pilot_tracker), None)
        if t is None:
            raise ExperimentError(f"{e.id}: pilot_tracker: no tracker has the id {e.pilot_tracker!r}")
        return ("r.recording_id IN (SELECT recording_id FROM tracker_hits WHERE tracker_id = ? AND tracker_version = ? "
                "AND segments > 0)"), [t.id, t.version]
    if not e.pilot:
        return "FALSE", []
    conds, params = [], []
    for key, values in e.pilot.items():
        conds.append("r.recording_id IN (SELECT recording_id FROM metadata WHERE key = ? AND value IN (SELECT unnest(?::VARCHAR[])))")
        params += [key, list(values)]
    return " AND ".join(conds), params


def per_call(con: duckdb.DuckDBPyConnection, e: Experiment, flt: Filter | None = None) -> pd.DataFrame:
    """recording_id, recorded_at, pilot, after, y: the calls of the weeks around the change (kinds and filter applied)."""
    start = datetime.combine(e.change, datetime.min.time())
    flt = replace(flt or Filter(), since=start - timedelta(weeks=e.weeks), until=start + timedelta(weeks=e.weeks))
    if e.kinds:
        flt = replace(flt, kinds=list(e.kinds))
    where, params = recording_where(flt)
    source, out_params, _ = _outcome_sql(e)
    pilot, pilot_params = _pilot_sql(e)
    return con.execute(f"""
        SELECT r.recording_id, r.recorded_at, ({pilot}) AS pilot, r.recorded_at >= ? AS after, o.y
        FROM recordings r JOIN ({source}) o USING (recording_id)
        WHERE {where} AND o.y IS NOT NULL""", [*pilot_params, start, *out_params, *params]).df()


def _cells(calls: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    rows = []
    for g in groups:
        mine = calls if g == "all" else calls[calls["pilot"] == (g == "pilot")]
        for period in ("before", "after"):
            y = mine.loc[mine["after"] == (period == "after"), "y"].to_numpy(dtype=float)
            rows.append({"group": g, "period": period, "n": len(y), "mean": float(y.mean()) if len(y) else np.nan,
                         "var": float(y.var(ddof=1)) if len(y) > 1 else np.nan})
    return pd.DataFrame(rows)


def difference(cells: pd.DataFrame) -> tuple[float | None, float | None]:
    """(estimate, standard error) from the cells: the pilot's change less the others' (or all's change)."""
    if cells["n"].min() < 2:
        return None, None
    sign = {("pilot", "after"): 1, ("pilot", "before"): -1, ("others", "after"): -1, ("others", "before"): 1,
            ("all", "after"): 1, ("all", "before"): -1}
    est = sum(sign[(r.group, r.period)] * r.mean for r in cells.itertuples())
    se = float(np.sqrt(sum(r.var / r.n for r in cells.itertuples())))
    return float(est), se


def estimate(con: duckdb.DuckDBPyConnection, e: Experiment, flt: Filter | None = None) -> Answer:
    calls = per_call(con, e, flt)
    groups = ["pilot", "others"] if e.has_pilot else ["all"]
    cells = _cells(calls, groups)
    est, se = difference(cells)
    _, _, percent = _outcome_sql(e)
    week = pd.to_datetime(calls["recorded_at"]).dt.to_period("W-SUN").dt.start_time
    grp = np.where(calls["pilot"], "pilot", "others") if e.has_pilot else np.full(len(calls), "all")
    weekly = (pd.DataFrame({"week": week, "group": grp, "y": calls["y"]}).groupby(["week", "group"])["y"]
              .agg(["mean", "size"]).reset_index().rename(columns={"mean": "value", "size": "n"}))
    return Answer(experiment=e, cells=cells, estimate=est, lo=None if se is None else est - Z95 * se,
                  hi=None if se is None else est + Z95 * se, n=len(calls), percent=percent, weekly=weekly)


# -- the sentence --------------------------------------------------------------------------------
WHAT = {"won": ("calls won", "赢单率"), "angry": ("calls with an angry customer", "客户愤怒的通话占比"),
        "talk_share": ("the agent's talk share", "坐席说话占比")}
VERDICT = {"probably_real": ("probably real", "很可能是真实效果"), "could_be_chance": ("could be chance", "可能只是偶然"),
           "too_few": ("too few calls to say", "通话太少，无法判断")}


def what(e: Experiment, lang: str = "en") -> str:
    kind, _, arg = e.outcome.partition(":")
    zh = lang == "zh"
    if kind in WHAT:
        return WHAT[kind][zh]
    if kind == "qa":
        return f"“{arg}” 质检得分" if zh else f"the “{arg}” quality score"
    t = next((x for x in current_trackers() if x.id == arg), None)
    name = t.label(lang) if t else arg
    return f"提到“{name}”的通话占比" if zh else f"calls that say “{name}”"


def pilot_words(e: Experiment, lang: str = "en") -> str:
    if e.pilot_tracker:
        return (f"说了“{e.pilot_tracker}”的通话" if lang == "zh" else f"calls that say “{e.pilot_tracker}”")
    return ", ".join(f"{k}={'/'.join(v)}" for k, v in e.pilot.items())


def sentence(a: Answer, lang: str = "en") -> str:
    """One sentence a manager can repeat."""
    e, zh = a.experiment, lang == "zh"

    def v(x):
        return "–" if x is None or x != x else (f"{100 * x:.0f} %" if a.percent else f"{x:.1f}")

    def num(x):
        return f"{100 * x:.0f}" if a.percent else f"{x:.1f}"
    unit = (" 个百分点" if zh else " points") if a.percent else (" 分" if zh else " points of score")
    verdict = VERDICT[a.verdict][zh]
    if a.estimate is None:
        change = interval = "–"
    else:
        size = num(abs(a.estimate))
        change = (f"{'多' if a.estimate >= 0 else '少'} {size}{unit}" if zh else
                  f"{size}{unit} {'more' if a.estimate >= 0 else 'less'}")
        interval = f"{num(a.lo)} {'至' if zh else 'to'} {num(a.hi)}"
    if not e.has_pilot:
        b, af = a.cell("all", "before"), a.cell("all", "after")
        if zh:
            return (f"变更（{e.change}）前后各 {e.weeks} 周，{what(e, lang)}从 {v(b)} 变为 {v(af)}：{change}，"
                    f"95% 区间 {interval}，共 {a.n} 通——没有对照组，{verdict}。")
        return (f"In the {e.weeks} weeks before and after {e.change}, {what(e, lang)} went from {v(b)} to {v(af)}: "
                f"{change}, 95 % interval {interval}, {a.n} calls — with nothing to compare with, {verdict}.")
    p0, p1, o0, o1 = (a.cell(g, p) for g in ("pilot", "others") for p in ("before", "after"))
    who = pilot_words(e, lang)
    if zh:
        return (f"试点（{who}）{what(e, lang)}从 {v(p0)} 变为 {v(p1)}，其他从 {v(o0)} 变为 {v(o1)}：试点{change}，"
                f"95% 区间 {interval}，共 {a.n} 通——{verdict}。")
    return (f"In the pilot ({who}) {what(e, lang)} went from {v(p0)} to {v(p1)}, elsewhere from {v(o0)} to {v(o1)}: "
            f"{change}, 95 % interval {interval}, {a.n} calls — {verdict}.")


def report_section(con: duckdb.DuckDBPyConnection, experiments: list[Experiment], flt: Filter | None = None,
                   lang: str = "en") -> str:
    """The HTML report's experiments: one sentence each."""
    if not experiments:
        return ""
    items = []
    for e in experiments:
        try:
            items.append(f"<li><b>{html.escape(e.label(lang))}</b>: {html.escape(sentence(estimate(con, e, flt), lang))}</li>")
        except ExperimentError as err:
            items.append(f"<li><b>{html.escape(e.label(lang))}</b>: {html.escape(str(err))}</li>")
    return f"<h2>{'Experiments' if lang == 'en' else '变更效果'}</h2><ul>{''.join(items)}</ul>"


def saved_report_section(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, lang: str = "en") -> str:
    """``report_section`` on the saved experiments; a file that does not load is named instead."""
    from .design import load
    try:
        return report_section(con, load(), flt, lang)
    except ExperimentError as e:
        return f"<p class='muted'>{html.escape(str(e))}</p>"
