"""Rules → tickets on the demo data: exactly the planted tickets, idempotent, with status changes,
and clear messages for bad rules."""
import json
from datetime import datetime

import pytest

from analytics.alerts.evaluation import evaluate
from analytics.alerts.rules import RuleError, load_rules
from analytics.filters import Filter
from analytics.tickets import open_tickets, set_status, tickets


@pytest.fixture()
def fresh_demo(demo_copy):
    return demo_copy


def _by_rule(matches):
    out = {}
    for m in matches:
        out.setdefault(m.rule.id, set()).add(m.recording_id)
    return out


def test_default_rules_open_exactly_the_planted_tickets(demo):
    _, planted, con = demo
    got = _by_rule(evaluate(con, load_rules()))
    assert got["unresolved-anger"] == set(planted.complaints)
    assert got["no-greeting"] == set(planted.no_greeting)
    assert got["high-intent"] == set(planted.won)
    assert "background-music" not in got and "potential-complaint" not in got
    recent = _by_rule(evaluate(con, load_rules(), Filter(since=datetime(2026, 11, 23, 18, 0))))
    assert recent["unresolved-anger"] == set(planted.recent_complaints)


def test_evidence_points_at_the_planted_moments(demo):
    _, planted, con = demo
    m = next(m for m in evaluate(con, load_rules()) if m.rule.id == "unresolved-anger")
    angry = [e for e in m.evidence if "ANGRY" in e["what"] and not e.get("absence")]
    assert len(angry) >= 2
    absence = [e for e in m.evidence if e.get("absence")]
    assert absence and absence[0]["start_s"] >= max(e["end_s"] for e in angry) - 1e-6


def test_tickets_are_idempotent_and_keep_their_status(fresh_demo):
    data, planted = fresh_demo
    rules = load_rules()
    assert len(tickets(data.con, statuses=["open"], types=None)) == 35  # the demo's build ran the rules itself
    assert open_tickets(data.store, evaluate(data.con, rules)) == 0  # and evaluating again opens none twice
    data.refresh()
    every = tickets(data.con, statuses=["open"], types=None)
    chances = every[every["rule_type"] == "opportunity"]  # a good sign is no risk: high intent only
    assert len(chances) == 20 and set(chances["rule_id"]) == {"high-intent"}
    t = tickets(data.con, statuses=["open"])  # the risk queue: risks only
    assert len(t) == 15 and set(t["rule_type"]) == {"risk"} and t["severity"].iloc[0] == "high"
    tid = t["ticket_id"].iloc[0]
    set_status(data.store, data.con, tid, "acknowledged", by="manager")
    data.refresh()
    assert tickets(data.con, Filter(), ["acknowledged"])["ticket_id"].tolist() == [tid]
    open_tickets(data.store, evaluate(data.con, rules))
    data.refresh()
    assert len(tickets(data.con, statuses=["open"])) == 14  # re-evaluation does not reopen it
    with pytest.raises(ValueError, match="status must be"):
        set_status(data.store, data.con, tid, "closed")
    with pytest.raises(ValueError, match="no ticket"):
        set_status(data.store, data.con, "nope", "resolved")
    json.loads(t["evidence"].iloc[0])


def test_rule_features(demo):
    _, planted, con = demo
    rules = load_rules("""
rules:
  - id: bgm-share
    kinds: [class]
    all: [{share: {event: BGM}, over: 0.05}]
  - id: silent-after-feature
    kinds: [sales]
    all:
      - near: {a: {segments: {text: "看板|dashboard|ダッシュボード|대시보드|數據", role: agent}},
               b: {pauses: {longer_than: 2.5}}, within: 0.3, order: a_first}
  - id: not-angry-at-end
    kinds: [service]
    all:
      - segments: {emotion: ANGRY}
      - segments: {emotion: ANGRY}
        last: 5
        not: true
  - id: loud
    kinds: [service]
    all: [{segments: {loudness_above: -10}}]
  - id: first-or-last
    kinds: [service]
    any:
      - segments: {role: customer, emotion: ANGRY}
        first: 1
      - segments: {role: customer, emotion: ANGRY}
        at_most: 0
        not: true
""")
    got = _by_rule(evaluate(con, rules))
    assert got["bgm-share"] == set(planted.bgm_classes)
    assert got["silent-after-feature"] <= set(planted.lost) and len(got["silent-after-feature"]) >= 15
    assert got["not-angry-at-end"] == set(planted.complaints + planted.relief)
    assert "loud" not in got
    assert got["first-or-last"] == set(planted.complaints + planted.relief)


@pytest.mark.parametrize("text,message", [
    ("rules: [", "not valid YAML"),
    ("hello: 1", "top-level 'rules:' list"),
    ("rules:\n  - id: Bad Id\n    all: [{segments: {}}]", "'id' must be lower-case"),
    ("rules:\n  - id: a\n    all: [{segments: {emotion: GRUMPY}}]", "rule 'a', condition 1: emotion: unknown tag 'GRUMPY'"),
    ("rules:\n  - id: a\n    all: [{segments: {emotion: LAUGHTER}}]", "is an event, not an emotion"),
    ("rules:\n  - id: a\n    all: [{segments: {emotoin: ANGRY}}]", "unknown field 'emotoin'"),
    ("rules:\n  - id: a\n    severity: urgent\n    all: [{pauses: {}}]", "severity must be"),
    ("rules:\n  - id: a\n    all: [{pauses: {longer_than: x}}]", "longer_than must be a number"),
    ("rules:\n  - id: a\n    all: [{share: {event: BGM}}]", "exactly one of over or under"),
    ("rules:\n  - id: a\n    all: [{near: {a: {pauses: {}}, within: 3}}]", "near needs a, b and within"),
    ("rules:\n  - id: a\n    all: [{segments: {text: '('}}]", "not a valid regular expression"),
    ("rules:\n  - id: a\n    all: []", "non-empty list"),
    ("rules:\n  - id: a\n    all: [{pauses: {}}]\n  - id: a\n    all: [{pauses: {}}]", "rule 'a': duplicate id"),
    ("rules:\n  - id: a\n    all: [{segments: {}, pauses: {}}]", "exactly one of segments, pauses"),
])
def test_bad_rules_are_named(text, message):
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_rules(text)


def test_default_rules_file_is_valid():
    assert {r.id for r in load_rules()} >= {"unresolved-anger", "no-greeting", "high-intent"}


def test_rule_names_in_a_language_from_the_rules_file(tmp_path):
    from analytics.alerts.rules import rule_names

    zh = rule_names(None, "zh")  # data/rules.yaml names its rules in Chinese too
    assert zh["unresolved-anger"] == "客户愤怒且之后没有缓和"
    assert rule_names(None, "en")["unresolved-anger"] == "Angry customer, no relief afterwards"
    assert rule_names(tmp_path / "missing.yaml", "zh") == {}  # then each ticket keeps its stored name


def test_a_rule_has_a_type_and_a_wrong_one_is_named():
    good = load_rules("rules:\n  - id: keen\n    name: Keen\n    type: opportunity\n    all:\n"
                      "      - segments: {emotion: HAPPY}\n")
    assert good[0].type == "opportunity" and load_rules()[0].type == "risk"  # risk unless it says otherwise
    with pytest.raises(RuleError, match="type must be risk, opportunity or info"):
        load_rules("rules:\n  - id: keen\n    name: Keen\n    type: good\n    all:\n      - segments: {emotion: HAPPY}\n")


def test_a_new_kind_of_condition_is_one_entry_in_the_table(demo, monkeypatch):
    """The rule language reads, checks and evaluates a kind of condition it finds in
    ``conditions.CONDITIONS``: adding one touches that table only (issue 27)."""
    from analytics.alerts import conditions

    def check(c, where):
        if not isinstance(c["longer_than_s"], (int, float)):
            raise RuleError(f"{where}: longer_than_s must be a number")

    def long_call(c, scene):
        return scene.duration > c["longer_than_s"], [{"start_s": 0.0, "end_s": scene.duration, "what": "a long call"}]

    monkeypatch.setitem(conditions.CONDITIONS, "longer_than_s",
                        conditions.Condition(frozenset(), check, long_call, ("calls longer than N s", "超过 N 秒的通话")))
    monkeypatch.setattr(conditions, "COND_FIELDS", conditions.COND_FIELDS | {"longer_than_s"})
    _, _, con = demo
    text = "rules:\n  - id: long\n    all:\n      - longer_than_s: {}\n"
    with pytest.raises(RuleError, match="longer_than_s must be a number"):
        load_rules(text.format("'long'"))
    durations = dict(con.execute("SELECT recording_id, duration_s FROM recordings").fetchall())
    cut = sorted(durations.values())[len(durations) // 2]
    hits = {m.recording_id for m in evaluate(con, load_rules(text.format(cut)))}
    assert hits == {r for r, d in durations.items() if d > cut} and hits


def test_every_kind_of_condition_says_what_it_asks_in_both_languages():
    from analytics.alerts.conditions import CONDITIONS

    assert set(CONDITIONS) == {"segments", "pauses", "share", "near", "dynamics"}
    for key, c in CONDITIONS.items():
        en, zh = c.words
        assert en.isascii() and len(en) > 20 and any("\u4e00" <= ch <= "\u9fff" for ch in zh), key
