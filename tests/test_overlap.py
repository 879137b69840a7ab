"""Where two people talk at once (issue 28): on a recording with a channel per party each segment
knows how long the other party spoke over it (``overlap_s``) and whether that is most of it
(``overlap``); talk share counts neither party's overlapped seconds, and they are the overtalk."""
from __future__ import annotations

import duckdb
import pytest
from realspeech import available, clips
from synth import compose, stereo, write_wav

from ingest.batch.pipeline import IngestOptions, ingest_paths
from ingest.records import Segment
from ingest.signals import mark_overlap


def _seg(ch: int, b: float, e: float) -> Segment:
    return Segment(recording_id="r", channel=ch, role="agent" if ch == 0 else "customer", seg_index=0, start_s=b,
                   end_s=e, language="en", emotion="NEUTRAL", emotion_confidence=None, events=[], itn=True, text="",
                   raw_text="", loudness_dbfs=-20.0, speaking_rate=None, rate_unit=None)


def test_overlap_is_the_other_channels_speech_during_a_segment():
    turn, backchannel, answer, latch, late = (_seg(0, 0.0, 5.0), _seg(1, 1.0, 1.6), _seg(1, 4.5, 8.0),
                                              _seg(0, 7.8, 9.0), _seg(1, 8.5, 8.8))
    mark_overlap([turn, backchannel, answer, latch, late])
    got = [(s.overlap_s, s.overlap) for s in (turn, backchannel, answer, latch, late)]
    assert got == [(1.1, False),   # spoken over by a back-channel and the answer's start: mostly alone
                   (0.6, True),    # an "mm" under the other's turn: overlap
                   (0.7, False),
                   (0.5, False),   # 0.2 s under the answer's end, 0.3 s under the late "mm"
                   (0.3, True)]


def test_one_channel_leaves_overlap_unknown():
    segs = [_seg(0, 0.0, 2.0), _seg(0, 2.5, 4.0)]
    mark_overlap(segs)
    assert all(s.overlap_s is None and s.overlap is None for s in segs)


def backchannel_call(folder) -> tuple:
    """A stereo call of real speech: the agent (Asterisk's IVR voice) speaks one long prompt, the
    customer (a LibriVox reader) says 1.2 s under it, then answers 1 s after it ends. Returns
    (the wav file, the agent's prompt in seconds)."""
    agent_clip = next(c for c in clips("allison") if len(c) > 5 * 16000)
    reader = [c for c in clips("librivox") if len(c) > 16000]
    short, answer = reader[0][: int(1.2 * 16000)], reader[-1][: int(4 * 16000)]
    agent = compose([(0.0, agent_clip)], lead_s=0.5, tail_s=8.0)
    customer = compose([(2.0, short), (len(agent_clip) / 16000 - 2.0 - 1.2 + 1.0, answer)], lead_s=0.5, tail_s=1.0)
    return write_wav(folder / "call.wav", stereo(agent, customer).audio), len(agent_clip) / 16000


@pytest.mark.skipif(not available("allison") or not available("librivox"), reason="needs the real speech packages")
def test_a_stereo_call_with_a_backchannel_counts_it_as_overtalk(tmp_path, recognizer):
    """Real speech: the agent (Asterisk's IVR voice) speaks, the customer (a LibriVox reader) says a
    short phrase under the agent's turn, then answers. The short phrase is marked overlap; the
    overlapped seconds are counted for neither party's talk and are the call's overtalk."""
    f, agent_s = backchannel_call(tmp_path)
    db = tmp_path / "tb.duckdb"
    assert ingest_paths([f], IngestOptions(db=db, device="cpu", threads=1, kind="service", rules="off"),
                        recognizer=recognizer).batch.n_ingested == 1
    from analytics.db import Data

    con = Data(db).con
    segs = con.execute("SELECT role, start_s, end_s, overlap_s, overlap FROM seg ORDER BY start_s").fetchall()
    under = [s for s in segs if s[0] == "customer" and s[1] < 0.5 + agent_s - 0.5]
    assert under and all(s[4] for s in under)  # the short phrase under the agent's turn
    assert sum(s[3] for s in under) == pytest.approx(sum(s[2] - s[1] for s in under), abs=0.05)
    agent_over = sum(s[3] for s in segs if s[0] == "agent")
    assert agent_over == pytest.approx(sum(s[3] for s in segs if s[0] == "customer"), abs=0.01) and agent_over > 0.8
    talk = dict(con.execute("SELECT role, talk_s FROM role_stats").fetchall())
    speech = dict(con.execute("SELECT role, sum(duration_s) FROM seg GROUP BY role").fetchall())
    assert talk["agent"] == pytest.approx(speech["agent"] - agent_over, abs=0.01)
    assert talk["customer"] == pytest.approx(speech["customer"] - agent_over, abs=0.01)
    overtalk = con.execute("SELECT overtalk_s FROM role_stats WHERE role = '*'").fetchone()[0]
    assert overtalk == pytest.approx(agent_over, abs=0.01)
    raw = duckdb.connect(str(db), read_only=True)  # outside clients see the columns too
    try:
        assert raw.execute("SELECT count(*) FROM segments WHERE overlap").fetchone()[0] == len(under)
    finally:
        raw.close()
