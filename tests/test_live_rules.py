"""Live rules, segment by segment (pure logic: seconds into the call, no clock)."""
from ingest.live.rules import LiveRules, LiveRuleSettings


def _seg(rules, role, start, end, emotion="NEUTRAL", text="ok", loud=-30.0, rate=4.0):
    return [a.rule for a in rules.on_segment(role, start, end, emotion, text, loud, rate)]


def test_faster_and_louder_against_the_customers_own_first_minute():
    r = LiveRules()
    for t in range(0, 60, 10):  # the first minute: 4 chars/s at -30 dBFS
        assert _seg(r, "customer", t, t + 3) == []
    assert _seg(r, "customer", 70, 73, rate=5.0, loud=-26.0) == []  # +25 %, +4 dB: within bounds
    assert _seg(r, "customer", 80, 83, rate=5.5) == ["faster"]  # +37.5 %
    assert _seg(r, "customer", 90, 93, loud=-23.0) == ["louder"]  # +7 dB
    assert _seg(r, "agent", 95, 98, rate=9.0, loud=-10.0) == []  # the agent's own pace is not the customer's


def test_cooldown_angry_window_and_phrases():
    r = LiveRules(LiveRuleSettings(cooldown_s=60))
    assert _seg(r, "customer", 1, 3, "ANGRY") == []
    assert _seg(r, "customer", 70, 72, "ANGRY") == []  # 69 s apart: not within 60 s
    assert _seg(r, "customer", 80, 82, "ANGRY") == ["angry_twice"]
    assert _seg(r, "customer", 90, 92, "ANGRY") == []  # cooldown
    assert _seg(r, "customer", 150, 152, "ANGRY") == ["angry_twice"]  # 70 s later: fires again
    assert _seg(r, "customer", 160, 162, text="I want to SPEAK TO A MANAGER now") == ["phrase"]
    assert _seg(r, "customer", 170, 172, text="我要投诉你们") == []  # phrase cooldown
    zh = LiveRules(LiveRuleSettings(language="zh"))
    assert [a.message for a in zh.on_segment("customer", 0, 2, "NEUTRAL", "叫你们领导来", None, None)][0].startswith("客户")


def test_silence_after_a_question_while_it_lasts_and_once():
    r = LiveRules()
    assert _seg(r, "agent", 0, 2, text="what is your order number?") == []
    assert r.on_time(6.9, someone_speaking=False) == []
    assert [a.rule for a in r.on_time(7.1, someone_speaking=False)] == ["silence_after_question"]
    assert _seg(r, "customer", 9, 11) == []  # answered late: already alerted, not twice
    assert _seg(r, "agent", 12, 14, text="anything else?") == []
    assert r.on_time(20, someone_speaking=True) == []  # someone is talking: not silence
    assert _seg(r, "customer", 15, 16) == []  # answered within 5 s
    mono = LiveRules(mono=True)  # one channel: every question counts
    assert _seg(mono, "mixed", 0, 2, text="你好吗？") == []
    assert [a.rule for a in mono.on_time(8, someone_speaking=False)] == ["silence_after_question"]


def test_a_mono_call_uses_attributed_roles_and_counts_mixed_as_either():
    r = LiveRules(mono=True)
    assert _seg(r, "agent", 0, 2, "ANGRY") == []  # the agent's own anger (their voice attributed) is not the customer's
    assert _seg(r, "agent", 3, 5, "ANGRY") == []
    assert _seg(r, "customer", 6, 8, "ANGRY") == []
    assert _seg(r, "mixed", 9, 11, "ANGRY") == ["angry_twice"]  # unattributed: may be the customer
    assert _seg(r, "customer", 12, 14, text="what now?") == []  # the customer's question is not the agent's
    assert r.on_time(30, someone_speaking=False) == []
    assert _seg(r, "mixed", 31, 33, text="anything else?") == []
    assert [a.rule for a in r.on_time(39, someone_speaking=False)] == ["silence_after_question"]


def test_a_weak_angry_tag_does_not_count_toward_an_alert(tmp_path):
    """ANGRY counts from the team's threshold on (the server reads it from the store as a call
    starts); a segment without a probability counts as before."""
    from analytics.confidence import set_threshold
    from ingest.models.header import DEFAULT_THRESHOLD, latest_threshold
    from ingest.store import Store

    store = Store(tmp_path / "tb.duckdb")
    store.init()
    assert latest_threshold(store.table_files("tag_thresholds"), "ANGRY") == DEFAULT_THRESHOLD == 0.5
    set_threshold(store, "ANGRY", 0.7, by="lead")
    limit = latest_threshold(store.table_files("tag_thresholds"), "ANGRY")
    assert limit == 0.7
    r = LiveRules(LiveRuleSettings(min_confidence=limit))
    angry = lambda b, p: [a.rule for a in r.on_segment("customer", b, b + 2, "ANGRY", "", None, None, p)]  # noqa: E731
    assert angry(1, 0.9) == [] and angry(5, 0.6) == []  # the second is too weak to be the second
    assert angry(9, None) == ["angry_twice"]  # no probability: counts


def test_a_raised_voice_against_the_customers_first_minute():
    r = LiveRules(LiveRuleSettings(cooldown_s=60))
    seg = lambda b, hz, db: [a.rule for a in r.on_segment("customer", b, b + 2, "NEUTRAL", "", db, None, None, hz)]  # noqa: E731
    assert seg(5, 200, -30) == [] and seg(20, 205, -31) == [] and seg(40, 198, -29) == []  # the first minute
    assert seg(70, 250, -31) == []  # higher, not louder
    assert seg(80, 205, -20) == ["louder"]  # louder, not higher: the louder rule, not a raised voice
    assert seg(150, 245, -24) == ["raised_voice"]  # +3.6 semitones, +6 dB
    assert seg(160, 260, -22) == ["louder"]  # a raised voice again within its cooldown: only the louder rule (80 s since it fired)
    zh = LiveRules(LiveRuleSettings(language="zh"))
    assert zh.s.messages["raised_voice"][1].startswith("客户声音升高")
