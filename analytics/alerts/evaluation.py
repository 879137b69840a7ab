"""Rules evaluated on stored recordings: each rule's conditions over a recording's segments, pauses
and conversation dynamics (the language is ``rules``); a match is a ticket to open
(``analytics.tickets.open_tickets``)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ingest.records import Ticket

from ..filters import Filter, recording_where
from .rules import DYNAMICS, Rule, as_list


@dataclass
class Match:
    recording_id: str
    rule: Rule
    evidence: list[dict] = field(default_factory=list)

    def ticket(self) -> Ticket:
        return Ticket(recording_id=self.recording_id, rule_id=self.rule.id, rule_name=self.rule.name, severity=self.rule.severity,
                      evidence=self.evidence, rule_type=self.rule.type)

    @property
    def ticket_id(self) -> str:
        return self.ticket().ticket_id


# -- evaluation ------------------------------------------------------------------------------
def _select_segments(segs: pd.DataFrame, sel: dict) -> pd.DataFrame:
    m = pd.Series(True, index=segs.index)
    if "emotion" in sel:
        m &= segs["emotion"].isin([str(v).upper() for v in as_list(sel["emotion"])])
    if "event" in sel:
        want = {str(v).upper() for v in as_list(sel["event"])}
        m &= segs["events"].apply(lambda ev: bool(want & set(ev)))
    if "tags" in sel:
        want = {str(v).upper() for v in as_list(sel["tags"])}
        m &= segs["emotion"].isin(want) | segs["events"].apply(lambda ev: bool(want & set(ev)))
    if "role" in sel:
        m &= segs["role"].isin(as_list(sel["role"]))
    if "channel" in sel:
        m &= segs["channel"] == sel["channel"]
    if "text" in sel:
        rx = re.compile(str(sel["text"]), re.IGNORECASE)
        m &= segs["text"].fillna("").map(lambda t: rx.search(t) is not None)
    for f, col, op in (("loudness_above", "loudness_dbfs", "gt"), ("loudness_below", "loudness_dbfs", "lt"),
                       ("rate_above", "speaking_rate", "gt"), ("rate_below", "speaking_rate", "lt"),
                       ("longer_than", "duration_s", "gt")):
        if f in sel:
            m &= getattr(segs[col], op)(sel[f]).fillna(False)
    return segs[m]


def _select_pauses(pauses: pd.DataFrame, sel: dict, stereo: bool) -> pd.DataFrame:
    role = sel.get("role", "all")
    p = pauses[pauses["role"] == role] if (role != "all" or stereo) else pauses[pauses["channel"] == 0]
    return p[p["duration_s"] > sel.get("longer_than", 0)]


def _window(c: dict, segs: pd.DataFrame, duration: float) -> tuple[float, float]:
    """The part of the recording a condition looks at: [start, end) of an item's start time."""
    b, e = 0.0, duration
    if "first" in c:
        e = min(e, c["first"])
    if "last" in c:
        b = max(b, duration - c["last"])
    if "from" in c:
        b = max(b, c["from"])
    if "to" in c:
        e = min(e, c["to"])
    if "after_last" in c:
        anchor = _select_segments(segs, c["after_last"])
        if len(anchor):
            b = max(b, float(anchor["end_s"].max()))
    return b, e


def _items(c: dict, segs: pd.DataFrame, pauses: pd.DataFrame, duration: float, stereo: bool) -> pd.DataFrame:
    items = _select_segments(segs, c["segments"]) if "segments" in c else _select_pauses(pauses, c["pauses"], stereo)
    b, e = _window(c, segs, duration)
    return items[(items["start_s"] >= b) & (items["start_s"] < e)]


def _evidence(items: pd.DataFrame, what: str) -> list[dict]:
    return [{"start_s": round(float(b), 3), "end_s": round(float(e), 3), "what": what}
            for b, e in zip(items["start_s"], items["end_s"])][:20]


def _describe(c: dict) -> str:
    key = next(k for k in ("segments", "pauses", "share", "near", "dynamics") if k in c)
    return f"{key} {json.dumps(c[key], ensure_ascii=False, default=str)}"


def _condition(c: dict, segs, pauses, duration: float, stereo: bool, dyn: dict | None = None) -> tuple[bool, list[dict]]:
    if "dynamics" in c:
        d = c["dynamics"]
        value = (dyn or {}).get((d.get("role", "*"), d["metric"]))
        ok = value is not None and not pd.isna(value) and (value > c["over"] if "over" in c else value < c["under"])
        ev = [{"start_s": 0.0, "end_s": round(duration, 3), "what": f"{_describe(c)}: {value:.3g}"}] if ok else []
    elif "share" in c:
        sel = _select_segments(segs, c["share"])
        share = float(sel["duration_s"].sum()) / max(duration, 1e-9)
        ok = share > c["over"] if "over" in c else share < c["under"]
        ev = _evidence(sel, f"{_describe(c)}: {share:.0%} of the recording")
    elif "near" in c:
        n = c["near"]
        a = _items(n["a"], segs, pauses, duration, stereo)
        b = _items(n["b"], segs, pauses, duration, stereo)
        ev, ok = [], False
        for ab, ae in zip(a["start_s"], a["end_s"]):
            for bb, be in zip(b["start_s"], b["end_s"]):
                gap = max(bb - ae, ab - be, 0.0)
                if gap <= n["within"] and (n.get("order", "any") == "any" or ab <= bb):
                    ok = True
                    ev += [{"start_s": round(float(ab), 3), "end_s": round(float(ae), 3), "what": _describe(n["a"])},
                           {"start_s": round(float(bb), 3), "end_s": round(float(be), 3), "what": _describe(n["b"])}]
                    break
            if len(ev) >= 20:
                break
    else:
        items = _items(c, segs, pauses, duration, stereo)
        count = len(items)
        at_most = 0 if c.get("none") else c.get("at_most")
        at_least = c.get("at_least", 0 if at_most is not None else 1)
        ok = count >= at_least and (at_most is None or count <= at_most)
        ev = _evidence(items, _describe(c)) if count else []
        if ok and not count:  # an absence: the evidence is the span that was checked
            b, e = _window(c, segs, duration)
            ev = [{"start_s": round(b, 3), "end_s": round(e, 3), "what": f"no {_describe(c)}", "absence": True}]
    if c.get("not"):
        ok = not ok
    return ok, ev if ok else []


def evaluate(con: duckdb.DuckDBPyConnection, rules: list[Rule], flt: Filter | None = None,
             recording_ids: set[str] | None = None) -> list[Match]:
    """All (recording, rule) matches among the recordings the filter selects (and, given
    ``recording_ids``, only among those: the ones an ingest just stored)."""
    where, params = recording_where(flt)
    recs = con.execute(f"SELECT recording_id, kind, duration_s, analysed_channels FROM recordings r WHERE {where}",
                       params).df()
    if recording_ids is not None:
        recs = recs[recs["recording_id"].isin(recording_ids)]
    if recs.empty:
        return []
    con.register("_recs", recs[["recording_id"]])
    try:
        segs = con.execute("SELECT recording_id, channel, role, start_s, end_s, duration_s, emotion, events, text, "
                           "loudness_dbfs, speaking_rate FROM seg WHERE recording_id IN (SELECT recording_id FROM _recs) "
                           "ORDER BY recording_id, start_s").df()
        pauses = con.execute("SELECT recording_id, channel, role, start_s, end_s, duration_s FROM pauses "
                             "WHERE recording_id IN (SELECT recording_id FROM _recs) ORDER BY recording_id, start_s").df()
        stats = con.execute("""SELECT st.recording_id, st.role, st.talk_s / nullif(al.talk_s, 0) AS talk_share,
                                      st.longest_monologue_s, (al.turns - 1) / greatest(r.duration_s / 60, 1e-9) AS switches_per_min,
                                      st.response_s, st.questions, st.turns
                               FROM role_stats st JOIN recordings r USING (recording_id)
                               JOIN role_stats al ON al.recording_id = st.recording_id AND al.role = '*'
                               WHERE st.recording_id IN (SELECT recording_id FROM _recs)""").df()
    finally:
        con.unregister("_recs")
    dyn: dict[str, dict] = {}
    for row in stats.to_dict("records"):
        for m in DYNAMICS:
            dyn.setdefault(row["recording_id"], {})[(row["role"], m)] = row[m]
    segs["events"] = segs["events"].apply(lambda e: list(e) if e is not None else [])
    seg_by, pause_by = dict(tuple(segs.groupby("recording_id"))), dict(tuple(pauses.groupby("recording_id")))
    empty_s, empty_p = segs.iloc[0:0], pauses.iloc[0:0]
    matches = []
    for rec in recs.itertuples():
        s, p = seg_by.get(rec.recording_id, empty_s), pause_by.get(rec.recording_id, empty_p)
        for rule in rules:
            if rule.kinds and rec.kind not in rule.kinds:
                continue
            results = [_condition(c, s, p, rec.duration_s, rec.analysed_channels > 1, dyn.get(rec.recording_id))
                       for c in rule.conditions]
            hit = all(ok for ok, _ in results) if rule.mode == "all" else any(ok for ok, _ in results)
            if hit:
                evidence = sorted((e for ok, ev in results if ok for e in ev), key=lambda e: e["start_s"])
                matches.append(Match(rec.recording_id, rule, evidence))
    return matches
