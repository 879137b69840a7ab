"""The rule language: rules → risk tickets. A small declarative YAML format, validated with errors that name the rule
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

A condition (one of ``conditions.CONDITIONS``) selects items and counts them:
  segments: {emotion, event, tags, min_confidence, both_models, raised_voice, role, channel, text (regex),
             question (true: ends as a question: ?, 吗, 呢 ...), loudness_above/below (dBFS),
             rate_above/below, longer_than (s)}
             raised_voice: true — pitch and loudness well above the speaker's own start
             (ingest.prosody), whatever the model heard
             a tag counts when the model was at least as sure as the team's threshold for it
             (analytics.confidence; 0.5 unless changed) or a person corrected the segment;
             min_confidence: 0.8 sets this condition's own (more or less than the team's; a tag
             stored without a probability does not meet it); an emotion a second opinion
             disputes (ingest.second_opinion) meets neither; both_models: true — only where the
             second model was asked and heard the same emotion
  pauses:   {longer_than (s), role}   role 'all' (default): nobody speaks; or a channel's role
  where:    first: S | last: S | from: S, to: S   (start of the item, relative to the recording)
  after_last: <segment selector>       only items after the last segment matching it (after_first,
                                       before_first, before_last likewise; no such segment: no bound)
  at_least: N (default 1) | at_most: N | none: true
  share: {emotion|event|tags, role}, over: 0.3 | under: 0.1   (share of the recording's duration)
  near: {a: <condition>, b: <condition>, within: S, order: any|a_first}
  dynamics: {metric: talk_share|longest_monologue_s|switches_per_min|response_s|questions|turns|
                     overtalk_s|interruptions, role},
            over: X | under: Y        (conversation dynamics; role default: the whole conversation)
  not: true                            negates the condition
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest import DATA_DIR
from ingest.options import KINDS
from ingest.records import SEVERITIES

from .conditions import CONDITIONS, RuleError, check_condition  # noqa: F401 - RuleError: callers import it from here

RULE_TYPES = ("risk", "opportunity", "info")  # what a rule's tickets are: only risks are the risk queue's
DEFAULT_RULES = DATA_DIR / "rules.yaml"


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
        check_condition(c, f"{where}, condition {j}")
    names = raw.get("names") or {}
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        raise RuleError(f"{where}: 'names' must map a language to a name (e.g. names: {{zh: 客户生气}})")
    return Rule(rid, str(raw.get("name", rid)), severity, kinds, mode, conds, names, rule_type)
