"""Voiceprints: enrolled voices name a call's agent (stored, live and stereo), and stay out of
exports unless asked; on real speech from Debian packages."""
from __future__ import annotations

import numpy as np
from realspeech import clips, conversation
from synth import write_wav
from test_speakers import _opts, pytestmark  # noqa: F401 - the same skip


def test_enrolled_agent_is_named_and_a_stranger_is_not(tmp_path, recognizer, encoder, vad):
    from analytics.db import Data
    from ingest.batch.pipeline import ingest_paths
    from ingest.speakers import voices
    from ingest.store import voiceprints

    db = tmp_path / "tb.duckdb"
    al = clips("allison")
    vp = voices.enrol(db, "Allison", list(al[:12]), encoder, vad)  # prompts not used in the calls below
    assert vp.kind == "voice-encoder" and vp.seconds > 10
    assert [v.name for v in voiceprints.load_all(db)] == ["Allison"]
    # a new call where Allison speaks second: the voiceprint, not "speaks first", makes her the agent
    call = conversation(["gcin", "allison"], seconds=50, seed=13)
    assert call.turns[0][2] == "gcin"
    stranger = conversation(["librivox", "gcin"], seconds=40, seed=12)
    ingest_paths([write_wav(tmp_path / "call.wav", call.audio), write_wav(tmp_path / "other.wav", stranger.audio)],
                 _opts(db, kind="service"), recognizer=recognizer)
    con = Data(db).con
    named = con.execute("""SELECT r.filename, s.speaker, s.role, s.role_source, s.name, s.similarity
                           FROM speakers s JOIN recordings r USING (recording_id) ORDER BY 1, 2""").fetchall()
    call_rows = [r for r in named if r[0] == "call.wav"]
    allison = [r for r in call_rows if r[4] == "Allison"]
    assert len(allison) == 1 and allison[0][2:4] == ("agent", "voiceprint")
    assert allison[0][5] >= voices.MATCH_THRESHOLD["voice-encoder"]
    assert con.execute("SELECT value FROM metadata m JOIN recordings r USING (recording_id) "
                       "WHERE r.filename = 'call.wav' AND key = 'agent'").fetchone() == ("Allison",)
    assert all(r[4] is None for r in named if r[0] == "other.wav")  # strangers stay unnamed
    assert voiceprints.delete(db, "Allison") == 1 and voiceprints.load_all(db) == []


def test_live_mono_call_is_attributed_to_the_enrolled_agent_as_it_goes(tmp_path, recognizer, encoder, vad):
    """A mono call streamed to the live server: with Allison enrolled, her segments come as the
    agent's and the other voice's as the customer's while the call goes on; the stored call has
    two speakers with Allison named as the agent."""
    import asyncio

    from analytics.db import Data
    from ingest.live.client import send_file
    from ingest.live.server import InThread, LiveOptions, LiveServer
    from ingest.speakers import voices

    db = tmp_path / "tb.duckdb"
    voices.enrol(db, "Allison", list(clips("allison")[:12]), encoder, vad)
    call = conversation(["gcin", "allison"], seconds=45, seed=23)
    path = write_wav(tmp_path / "call.wav", call.audio)
    server = InThread(LiveServer(LiveOptions(_opts(db), port=0), recognizer))
    try:
        events = asyncio.run(send_file(path, server.url, speed=0, metadata={"team": "north"}))
    finally:
        server.stop()
    segs = [e for e in events if e["type"] == "segment"]
    truth = {"allison": "agent", "gcin": "customer"}
    right = wrong = 0
    for e in segs:
        said = [v for b, t, v in call.turns if min(t, e["end_s"]) - max(b, e["start_s"]) > 0]
        if len(set(said)) != 1 or e["role"] == "mixed":
            continue
        right += e["role"] == truth[said[0]]
        wrong += e["role"] != truth[said[0]]
        assert (e["voice"] == "Allison") == (e["role"] == "agent")
    assert right >= 0.7 * len(segs) and wrong <= 1, (right, wrong, len(segs))
    stored = events[-1]
    assert stored["type"] == "stored" and stored["recording_id"]
    con = Data(db).con
    rows = con.execute("SELECT speaker, role, role_source, name FROM speakers WHERE recording_id = ? ORDER BY 1",
                       [stored["recording_id"]]).fetchall()
    assert len(rows) == 2 and ("agent", "voiceprint", "Allison") in [r[1:] for r in rows], rows
    assert con.execute("SELECT count(DISTINCT role) FROM segments WHERE recording_id = ?",
                       [stored["recording_id"]]).fetchone() == (2,)


def test_stereo_calls_enrol_their_named_agent_when_asked(tmp_path, recognizer):
    """--enrol-agents: a stereo call whose metadata names the agent keeps a voiceprint of the agent's
    channel; a later mono call of that agent names them. Without the option nothing is enrolled."""
    from analytics.db import Data
    from ingest.batch.pipeline import ingest_paths
    from ingest.store import voiceprints

    call = conversation(["allison", "gcin"], seconds=50, seed=31)
    t = np.arange(len(call.audio)) / 16000
    mine = np.zeros(len(call.audio), bool)
    for b, e, v in call.turns:
        mine |= (t >= b) & (t < e) & (v == "allison")
    stereo = np.stack([np.where(mine, call.audio, 0), np.where(mine, 0, call.audio)]).astype(np.float32)
    path = write_wav(tmp_path / "stereo.wav", stereo)
    plain = tmp_path / "plain.duckdb"
    ingest_paths([path], _opts(plain, kind="service", metadata={"agent": "Allison"}), recognizer=recognizer)
    assert voiceprints.load_all(plain) == []  # opt-in only
    db = tmp_path / "tb.duckdb"
    report = ingest_paths([path], _opts(db, kind="service", metadata={"agent": "Allison"}, enrol_agents=True),
                          recognizer=recognizer)
    assert [v.name for v in voiceprints.load_all(db)] == ["Allison"] and any("enrolled the voice of Allison" in w
                                                                         for w in report.warnings)
    mono = conversation(["gcin", "allison"], seconds=40, seed=37)
    ingest_paths([write_wav(tmp_path / "mono.wav", mono.audio)], _opts(db, kind="service"), recognizer=recognizer)
    rows = Data(db).con.execute("""SELECT s.role, s.name FROM speakers s JOIN recordings r USING (recording_id)
                                   WHERE r.filename = 'mono.wav'""").fetchall()
    assert ("agent", "Allison") in rows, rows


def test_voiceprints_stay_out_of_exports_unless_asked(tmp_path, encoder, vad):
    from ingest.speakers import voices
    from ingest.store import Store, voiceprints
    from ingest.store.backup import export_db, import_db

    db = tmp_path / "tb.duckdb"
    Store(db).init()
    voices.enrol(db, "李老师", list(clips("gcin")[:6]), encoder, vad)
    plain = export_db(db, tmp_path / "plain")
    assert "voiceprints" not in plain and not (tmp_path / "plain" / "voiceprints").exists()
    export_db(db, tmp_path / "with", voiceprints=True)
    added = import_db(tmp_path / "with", tmp_path / "new.duckdb")
    assert added["voiceprints"] == 1 and voiceprints.load_all(tmp_path / "new.duckdb")[0].name == "李老师"
