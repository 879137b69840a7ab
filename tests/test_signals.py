import numpy as np
import pytest

from ingest.records import Segment
from ingest.signals import find_pauses, loudness_dbfs, speaking_rate


def test_loudness_of_known_signals():
    t = np.arange(16000) / 16000
    assert loudness_dbfs(np.sin(2 * np.pi * 440 * t).astype(np.float32)) == pytest.approx(-3.01, abs=0.02)
    assert loudness_dbfs(0.1 * np.sin(2 * np.pi * 440 * t)) == pytest.approx(-23.01, abs=0.02)
    assert loudness_dbfs(np.zeros(100, np.float32)) == -120.0
    assert loudness_dbfs(np.zeros(0, np.float32)) == -120.0


@pytest.mark.parametrize("text,dur,rate,unit", [
    ("已经三天了", 1.0, 5.0, "chars/s"),
    ("呢几个字都表达唔到", 3.0, 3.0, "chars/s"),
    ("うちの中学は", 2.0, 3.0, "chars/s"),
    ("조금만 생각을", 1.0, 6.0, "chars/s"),
    ("my order has not arrived", 2.0, 2.5, "words/s"),
    ("it's 3 days", 1.5, 2.0, "words/s"),
    ("", 1.0, None, None),
    ("!!!", 1.0, None, None),
    ("hello", 0.0, None, None),
])
def test_speaking_rate(text, dur, rate, unit):
    r, u = speaking_rate(text, dur)
    assert u == unit and (r == pytest.approx(rate) if rate is not None else r is None)


def _seg(i, ch, b, e, role="agent"):
    return Segment(recording_id="r", channel=ch, role=role, seg_index=i, start_s=b, end_s=e, language="en", emotion="NEUTRAL",
                   emotion_confidence=None, events=[], itn=True, text="x", raw_text="x", loudness_dbfs=-20.0, speaking_rate=None,
                   rate_unit=None)


def test_pauses_per_channel_and_dead_air():
    segs = [_seg(0, 0, 0.0, 2.0), _seg(1, 1, 2.2, 4.0, "customer"), _seg(2, 0, 4.1, 5.0),
            _seg(3, 1, 7.0, 8.0, "customer")]
    pauses = find_pauses(segs, 0.5, "r", {0: "agent", 1: "customer"})
    got = sorted((p.channel, p.role, p.start_s, p.end_s, p.after_seg_index) for p in pauses)
    assert got == [(-1, "all", 5.0, 7.0, 2), (0, "agent", 2.0, 4.1, 0), (1, "customer", 4.0, 7.0, 1)]


def test_short_gaps_are_not_pauses():
    segs = [_seg(0, 0, 0.0, 1.0), _seg(1, 0, 1.4, 2.0)]
    assert find_pauses(segs, 0.5, "r", {0: "mixed"}) == []
