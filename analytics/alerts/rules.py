"""Rules → risk tickets. A small declarative YAML format, validated with errors that name the rule
and the field; evaluated per recording; matches become tickets, one per recording and rule, so
re-evaluation never opens a ticket twice. Format (see data/rules.yaml for a commented example):

    rules:
      - id: unresolved-anger            # unique, [a-z0-9-_]
        name: Angry customer, no relief
        names: {zh: 客户生气且没有缓和}  # optional: the name in other languages (the dashboard's Chinese)
        severity: high                  # low | medium | high
        kinds: [service]                # optional: recording kinds the rule applies to
        all:                            # every condition must hold (or any: at least one)
          - segments: {emotion: ANGRY, role: customer}
            at_least: 2
          - segments: {tags: [HAPPY, APPLAUSE]}
            after_last: {emotion: ANGRY}
            none: true

A condition selects items and counts them:
  segments: {emotion, event, tags, role, channel, text (regex), loudness_above/below (dBFS),
             rate_above/below, longer_than (s)}
  pauses:   {longer_than (s), role}   role 'all' (default): nobody speaks; or a channel's role
  where:    first: S | last: S | from: S, to: S   (start of the item, relative to the recording)
  after_last: <segment selector>       only items after the last segment matching it
  at_least: N (default 1) | at_most: N | none: true
  share: {emotion|event|tags, role}, over: 0.3 | under: 0.1   (share of the recording's duration)
  near: {a: <condition>, b: <condition>, within: S, order: any|a_first}
  dynamics: {metric: talk_share|longest_monologue_s|switches_per_min|response_s|questions|turns, role},
            over: X | under: Y        (conversation dynamics; role default: the whole conversation)
  not: true                            negates the condition
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from ingest import DATA_DIR
from ingest.models.tags import EMOTIONS, EVENTS
from ingest.options import KINDS
from ingest.records import SEVERITIES, Ticket

from ..filters import MAX_NOTE, Filter, limit_text, recording_where
from ..metadata import with_metadata

STATUSES = ("open", "acknowledged", "resolved")
RULE_TYPES = ("risk", "opportunity", "info")  # what a rule's tickets are: only risks are the risk queue's
TAGS = set(EMOTIONS) | set(EVENTS) | {"UNKNOWN"}
SEG_FIELDS = {"emotion", "event", "tags", "role", "channel", "text", "loudness_above", "loudness_below",
              "rate_above", "rate_below", "longer_than"}
PAUSE_FIELDS = {"longer_than", "role"}
DYNAMICS = ("talk_share", "longest_monologue_s", "switches_per_min", "response_s", "questions", "turns")
COND_FIELDS = {"segments", "pauses", "share", "near", "dynamics", "first", "last", "from", "to", "after_last",
               "at_least", "at_most", "none", "not", "over", "under", "within", "order"}
DEFAULT_RULES = DATA_DIR / "rules.yaml"


class RuleError(ValueError):
    """An invalid rules file; the message names the rule and the field."""


@dataclass
class Rule:
    id: str
    name: str
    severity: str
    kinds: list[str]
    mode: str  # all | any
    conditions: list[dict]
    names: dict = field(default_factory=dict)  # the name in other languages: {"zh": "…"}
    type: str = "risk"  # risk | opportunity | info: only risks fill the risk queue and its counts


@dataclass
class Match:
    recording_id: str
    rule: Rule
    evidence: list[dict] = field(default_factory=list)

    def ticket(self) -> Ticket:
        return Ticket(self.recording_id, self.rule.id, self.rule.name, self.rule.severity, self.evidence, self.rule.type)

    @property
    def ticket_id(self) -> str:
        return self.ticket().ticket_id


# -- parsing and validation ------------------------------------------------------------------
MAX_RULES_CHARS = 200_000


def load_rules(source: str | Path | None = None) -> list[Rule]:
    """Rules from a YAML file (default: data/rules.yaml) or YAML text (at most MAX_RULES_CHARS)."""
    if source is None:
        source = DEFAULT_RULES
    if isinstance(source, str) and len(source) > MAX_RULES_CHARS:
        raise RuleError(f"rules: at most {MAX_RULES_CHARS:,} characters (this text has {len(source):,})")
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))):
        try:
            text = Path(source).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RuleError(f"rules file {source} not found") from None
    else:
        text = str(source)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise RuleError(f"rules file is not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RuleError("a rules file needs a top-level 'rules:' list")
    rules, seen = [], set()
    for i, raw in enumerate(doc["rules"], 1):
        rules.append(_rule(raw, i, seen))
    return rules


def rule_names(source: str | Path | None = None, lang: str = "en") -> dict[str, str]:
    """Each rule's name in ``lang`` (``names: {zh: …}``, else its name), by rule id; {} when the
    rules file is missing or invalid (a name is then the one stored with each ticket)."""
    try:
        rules = load_rules(source)
    except RuleError:
        return {}
    return {r.id: r.names.get(lang) or r.name for r in rules}


def _rule(raw, i: int, seen: set) -> Rule:
    if not isinstance(raw, dict):
        raise RuleError(f"rule #{i}: must be a mapping with id, name, severity and all/any")
    rid = str(raw.get("id", ""))
    where = f"rule {rid!r}" if rid else f"rule #{i}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", rid):
        raise RuleError(f"{where}: 'id' must be lower-case letters, digits, - or _")
    if rid in seen:
        raise RuleError(f"{where}: duplicate id")
    seen.add(rid)
    unknown = set(raw) - {"id", "name", "names", "severity", "kinds", "all", "any", "description", "type"}
    if unknown:
        raise RuleError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    rule_type = raw.get("type", "risk")
    if rule_type not in RULE_TYPES:
        raise RuleError(f"{where}: type must be risk, opportunity or info (got {rule_type!r})")
    severity = raw.get("severity", "medium")
    if severity not in SEVERITIES:
        raise RuleError(f"{where}: severity must be low, medium or high (got {severity!r})")
    kinds = raw.get("kinds", [])
    if not isinstance(kinds, list) or not all(k in KINDS for k in kinds):
        raise RuleError(f"{where}: kinds must be a list of sales, service, class, other")
    if ("all" in raw) == ("any" in raw):
        raise RuleError(f"{where}: give exactly one of 'all' or 'any' (a list of conditions)")
    mode = "all" if "all" in raw else "any"
    conds = raw[mode]
    if not isinstance(conds, list) or not conds:
        raise RuleError(f"{where}: '{mode}' must be a non-empty list of conditions")
    for j, c in enumerate(conds, 1):
        _check_condition(c, f"{where}, condition {j}")
    names = raw.get("names") or {}
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        raise RuleError(f"{where}: 'names' must map a language to a name (e.g. names: {{zh: 客户生气}})")
    return Rule(rid, str(raw.get("name", rid)), severity, kinds, mode, conds, names, rule_type)


def _check_tags(values, where: str, field_name: str) -> None:
    for v in values if isinstance(values, list) else [values]:
        if str(v).upper() not in TAGS:
            raise RuleError(f"{where}: {field_name}: unknown tag {v!r}")


def _check_selector(sel, allowed: set, where: str) -> None:
    if not isinstance(sel, dict):
        raise RuleError(f"{where}: a selector must be a mapping")
    unknown = set(sel) - allowed
    if unknown:
        raise RuleError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    for f in ("emotion", "event", "tags"):
        if f in sel:
            _check_tags(sel[f], where, f)
    if "emotion" in sel and any(str(v).upper() not in set(EMOTIONS) | {"UNKNOWN"} for v in _as_list(sel["emotion"])):
        raise RuleError(f"{where}: emotion: {sel['emotion']!r} is an event, not an emotion")
    if "event" in sel and any(str(v).upper() not in EVENTS for v in _as_list(sel["event"])):
        raise RuleError(f"{where}: event: {sel['event']!r} is not an event")
    if "text" in sel:
        try:
            re.compile(str(sel["text"]))
        except re.error as e:
            raise RuleError(f"{where}: text: not a valid regular expression ({e})") from None
    for f in ("loudness_above", "loudness_below", "rate_above", "rate_below", "longer_than", "channel"):
        if f in sel and not isinstance(sel[f], (int, float)):
            raise RuleError(f"{where}: {f} must be a number")


def _check_condition(c, where: str) -> None:
    if not isinstance(c, dict):
        raise RuleError(f"{where}: must be a mapping")
    unknown = set(c) - COND_FIELDS
    if unknown:
        raise RuleError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    kinds = [k for k in ("segments", "pauses", "share", "near", "dynamics") if k in c]
    if len(kinds) != 1:
        raise RuleError(f"{where}: give exactly one of segments, pauses, share, near or dynamics")
    kind = kinds[0]
    if kind == "dynamics":
        d = c["dynamics"]
        if not isinstance(d, dict) or set(d) - {"metric", "role"} or d.get("metric") not in DYNAMICS:
            raise RuleError(f"{where}: dynamics needs metric (one of {', '.join(DYNAMICS)}) and optionally role")
        if ("over" in c) == ("under" in c) or not isinstance(c.get("over", c.get("under")), (int, float)):
            raise RuleError(f"{where}: dynamics needs exactly one of over or under (a number)")
        return
    if kind == "segments":
        _check_selector(c["segments"], SEG_FIELDS, where)
    elif kind == "pauses":
        _check_selector(c["pauses"], PAUSE_FIELDS, where)
    elif kind == "share":
        _check_selector(c["share"], {"emotion", "event", "tags", "role"}, where)
        if ("over" in c) == ("under" in c):
            raise RuleError(f"{where}: share needs exactly one of over or under (a fraction 0..1)")
        v = c.get("over", c.get("under"))
        if not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise RuleError(f"{where}: over/under must be a fraction between 0 and 1")
    else:
        near = c["near"]
        if not isinstance(near, dict) or not {"a", "b", "within"} <= set(near):
            raise RuleError(f"{where}: near needs a, b and within")
        if not isinstance(near["within"], (int, float)) or near["within"] < 0:
            raise RuleError(f"{where}: near.within must be a number of seconds")
        if near.get("order", "any") not in ("any", "a_first"):
            raise RuleError(f"{where}: near.order must be any or a_first")
        for side in ("a", "b"):
            _check_condition(near[side], f"{where}, near.{side}")
    if "after_last" in c:
        _check_selector(c["after_last"], SEG_FIELDS, f"{where}, after_last")
    for f in ("first", "last", "from", "to", "at_least", "at_most", "within"):
        if f in c and (not isinstance(c[f], (int, float)) or c[f] < 0):
            raise RuleError(f"{where}: {f} must be a non-negative number")
    for f in ("none", "not"):
        if f in c and not isinstance(c[f], bool):
            raise RuleError(f"{where}: {f} must be true or false")


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v]


# -- evaluation ------------------------------------------------------------------------------
def _select_segments(segs: pd.DataFrame, sel: dict) -> pd.DataFrame:
    m = pd.Series(True, index=segs.index)
    if "emotion" in sel:
        m &= segs["emotion"].isin([str(v).upper() for v in _as_list(sel["emotion"])])
    if "event" in sel:
        want = {str(v).upper() for v in _as_list(sel["event"])}
        m &= segs["events"].apply(lambda ev: bool(want & set(ev)))
    if "tags" in sel:
        want = {str(v).upper() for v in _as_list(sel["tags"])}
        m &= segs["emotion"].isin(want) | segs["events"].apply(lambda ev: bool(want & set(ev)))
    if "role" in sel:
        m &= segs["role"].isin(_as_list(sel["role"]))
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


# -- tickets ---------------------------------------------------------------------------------
def open_tickets(store, matches: list[Match], opened: list | None = None) -> int:
    """A ticket for each match that has none yet (the store keeps them idempotent by id); returns how
    many are new (and adds their matches to ``opened``)."""
    new = 0
    for m in matches:
        if store.open_ticket(m.ticket()):
            new += 1
            if opened is not None:
                opened.append(m)
    return new


def set_status(store, con: duckdb.DuckDBPyConnection, ticket_id: str, status: str, by: str = "", note: str = "") -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    limit_text(note, "comment", MAX_NOTE)
    limit_text(by, "by", 100)
    if con.execute("SELECT count(*) FROM tickets WHERE ticket_id = ?", [ticket_id]).fetchone()[0] == 0:
        raise ValueError(f"no ticket {ticket_id!r}")
    store.append_rows("ticket_events", [{"ticket_id": ticket_id, "status": status, "changed_by": by,
                                         "changed_at": datetime.now(), "note": note}])


def comment(store, con: duckdb.DuckDBPyConnection, ticket_id: str, by: str = "", note: str = "",
            assignee: str | None = None) -> None:
    """A comment on a ticket, and/or giving it to someone (its status stays)."""
    limit_text(note, "comment", MAX_NOTE)
    limit_text(assignee, "assignee", 100)
    note, assignee = (note or "").strip(), (assignee or "").strip() or None
    if not note and not assignee:
        raise ValueError("write a comment or name who the ticket is for")
    if con.execute("SELECT count(*) FROM tickets WHERE ticket_id = ?", [ticket_id]).fetchone()[0] == 0:
        raise ValueError(f"no ticket {ticket_id!r}")
    store.append_rows("ticket_events", [{"ticket_id": ticket_id, "changed_by": by, "changed_at": datetime.now(),
                                         "note": note or None, "assignee": assignee}])


def ticket_history(con: duckdb.DuckDBPyConnection, ticket_id: str) -> pd.DataFrame:
    """A ticket's events, oldest first: when, who, status, assignee, comment."""
    return con.execute("""SELECT changed_at, changed_by, status, assignee, note FROM ticket_events
                          WHERE ticket_id = ? ORDER BY changed_at""", [ticket_id]).df()


def tickets(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, statuses: list[str] | None = None,
            types: list[str] | None = ("risk",)) -> pd.DataFrame:
    """Tickets of the recordings ``flt`` selects, the most severe and newest first; of these
    ``statuses`` (None: all) and rule ``types`` (default: risks only; None: every type)."""
    where, params = recording_where(flt)
    st_sql, st_p = ("AND t.status IN (SELECT unnest(?::VARCHAR[]))", [statuses]) if statuses else ("", [])
    if types:
        st_sql += " AND t.rule_type IN (SELECT unnest(?::VARCHAR[]))"
        st_p.append(list(types))
    df = con.execute(f"""
        SELECT t.ticket_id, t.status, t.severity, t.rule_type, t.rule_id, t.rule_name, t.recording_id, r.filename, r.kind,
               r.recorded_at, t.first_evidence_s, t.evidence, t.created_at, t.status_changed_at, t.status_changed_by,
               t.assignee, t.comments
        FROM ticket_status t JOIN recordings r USING (recording_id)
        WHERE {where} {st_sql}
        ORDER BY CASE t.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, r.recorded_at DESC""",
        params + st_p).df()
    return with_metadata(con, df)


def add_ticket_arguments(p) -> None:
    """``toneboard tickets``'s options (the filter's are ``filters.add_arguments``)."""
    p.add_argument("action", choices=("evaluate", "list", "set"))
    p.add_argument("--rules", type=Path, help="rules file (default: data/rules.yaml)")
    p.add_argument("--status", help="list: open, acknowledged or resolved; set: the new status")
    p.add_argument("--id", dest="ticket_id", help="set: the ticket id")
    p.add_argument("--by", default="", help="set: who changes it")
