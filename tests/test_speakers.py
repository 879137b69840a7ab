"""Who spoke: diarization, roles, voiceprints and conversation dynamics on mono recordings of real
human speech from Debian packages (tests/realspeech.py), with Resemblyzer's real voice encoder;
CAM++'s loading path on a random-weight model directory in the hub's layout."""
from __future__ import annotations

import numpy as np
import pytest
from realspeech import available, clips, conversation, der
from synth import speak, write_wav

pytestmark = pytest.mark.skipif(not all(available(v) for v in ("allison", "gcin", "librivox")),
                                reason="real speech packages missing (make test installs them)")


def _opts(db, **kw):
    from ingest.batch.pipeline import IngestOptions

    return IngestOptions(db=db, device="cpu", threads=1, speaker_model="voice-encoder", **kw)


@pytest.fixture(scope="module")
def two_person(tmp_path_factory, recognizer):
    """A mono service call of two real voices (Allison's IVR prompts and a Mandarin speaker),
    ingested with speaker detection on its default (auto)."""
    from analytics.db import Data
    from ingest.batch.pipeline import ingest_paths

    d = tmp_path_factory.mktemp("two")
    conv = conversation(["allison", "gcin"], seconds=60, seed=3)
    path = write_wav(d / "call.wav", conv.audio)
    report = ingest_paths([path], _opts(d / "tb.duckdb", kind="service"), recognizer=recognizer)
    assert report.batch.n_ingested == 1, report.outcomes
    return conv, Data(d / "tb.duckdb"), report


def test_mono_call_gets_two_speakers_with_roles(two_person):
    conv, data, report = two_person
    con = data.con
    rec = con.execute("SELECT n_speakers, speaker_model FROM recordings").fetchone()
    assert rec == (2, "resemblyzer-0.1.4")
    segs = con.execute("SELECT start_s, end_s, speaker, role, speaker_model FROM segments ORDER BY start_s").fetchall()
    assert {s[2] for s in segs} == {"S1", "S2"} and segs[0][2] == "S1"
    assert {s[3] for s in segs} == {"agent", "customer"}  # no 'mixed' any more
    assert all(s[4] == "resemblyzer-0.1.4" for s in segs)
    # the speakers found are the voices that spoke: DER against the known turns
    assert der(conv.turns, [(b, e, s) for b, e, s, *_ in segs])["der"] < 0.10
    spk = con.execute("SELECT speaker, role, role_source, talk_s, segments FROM speakers ORDER BY speaker").fetchall()
    assert [s[:3] for s in spk] == [("S1", "agent", "first"), ("S2", "customer", "other")]
    assert abs(sum(s[3] for s in spk) - sum(e - b for b, e, *_ in segs)) < 0.01
    assert report.times.speakers_s > 0


def test_dynamics_and_role_rules_on_a_mono_call(two_person):
    from analytics.alerts.evaluation import evaluate
    from analytics.alerts.rules import load_rules
    from analytics.metrics import conversation_metrics, recording_summary

    _, data, _ = two_person
    m = conversation_metrics(data.con).set_index("role")
    assert set(m.index) == {"agent", "customer"}
    assert m["talk_ratio"].sum() == pytest.approx(1.0)
    assert (m["turns"] >= 2).all() and (m["longest_monologue_s"] > 3).all()
    assert m["switches_per_min"].iloc[0] > 2 and (m["response_s"] >= 0).all()
    s = recording_summary(data.con).iloc[0]
    assert s["n_speakers"] == 2 and 0 < s["lead_talk_share"] < 1
    share = float(m.loc["agent", "talk_ratio"])
    rules = load_rules(f"""rules:
  - id: agent-talks-most
    name: agent talks more than {share - 0.05:.2f}
    all:
      - dynamics: {{metric: talk_share, role: agent}}
        over: {share - 0.05:.3f}
  - id: agent-talks-little
    name: agent talks less than {share - 0.05:.2f}
    all:
      - dynamics: {{metric: talk_share, role: agent}}
        under: {share - 0.05:.3f}
  - id: customer-speaks
    name: the customer says something
    all:
      - segments: {{role: customer}}
        at_least: 2
""")
    hits = {m.rule.id for m in evaluate(data.con, rules)}
    assert hits == {"agent-talks-most", "customer-speaks"}


def test_phrase_reaction_finds_the_other_speaker_on_mono(two_person):
    from analytics.reactions import phrase_reactions

    _, data, _ = two_person
    con = data.con
    # any word the agent's first segment said (the tiny random model's text is noise, but it is text)
    text = con.execute("SELECT text FROM seg WHERE role = 'agent' AND length(text) > 0 ORDER BY start_s LIMIT 1").fetchone()
    if text is None:
        pytest.skip("the random model said nothing for the agent")
    word = text[0].split()[0] if " " in text[0] else text[0][:2]
    per, summary = phrase_reactions(con, word, speaker_role="agent", window_s=10.0)
    assert len(per) >= 1
    # the customer answers within the window: a response gap, not silence (before: role 'mixed' had no other party)
    assert per["response_gap_s"].notna().any()


def test_speaker_corrections_reach_every_analysis(two_person, tmp_path):
    import shutil

    from analytics.db import Data
    from analytics.speakers import correct_speaker, recording_speakers, swap_roles
    from ingest.store import Store
    from ingest.store.layout import store_dir

    _, data, _ = two_person
    db = tmp_path / "tb.duckdb"
    shutil.copytree(store_dir(data.db_path), store_dir(db))
    Store(db).init()
    d = Data(db)
    rid = d.con.execute("SELECT recording_id FROM recordings").fetchone()[0]
    swap_roles(d.store, d.con, rid, by="lead")
    correct_speaker(d.store, d.con, rid, "S2", name="Li", by="lead")
    import time
    time.sleep(2.1)  # the snapshot trusts folder times older than one clock tick
    d.refresh()
    sp = recording_speakers(d.con, rid).set_index("speaker")
    assert sp.loc["S1", "role"] == "customer" and sp.loc["S2", "role"] == "agent" and sp.loc["S2", "name"] == "Li"
    assert sp.loc["S1", "model_role"] == "agent"  # what ingest found is kept
    roles = dict(d.con.execute("SELECT speaker, any_value(role) FROM seg GROUP BY 1").fetchall())
    assert roles == {"S1": "customer", "S2": "agent"}
    assert set(d.con.execute("SELECT role FROM role_stats WHERE role <> '*'").df()["role"]) == {"agent", "customer"}
    with pytest.raises(ValueError, match="no speaker 'S9'"):
        correct_speaker(d.store, d.con, rid, "S9", role="agent")


# -- diarization edge cases (the voice encoder on real speech) ------------------------------------
def _diarize(audio, vad, encoder, n=None):
    from ingest.speakers.diarize import diarize

    return diarize(audio, vad.speech_spans(audio), encoder, n)


def test_one_speaker_stays_one(vad, encoder):
    conv = conversation(["allison"], seconds=40, seed=4)
    d = _diarize(conv.audio, vad, encoder)
    assert len(d.seconds) == 1


def test_music_between_the_speech_is_not_a_speaker(vad, encoder):
    conv = conversation(["allison", "gcin"], seconds=50, seed=5)
    t = np.arange(int(4 * 16000)) / 16000
    music = (0.2 * np.sin(2 * np.pi * 440 * t) * np.sin(2 * np.pi * 2 * t) ** 2).astype(np.float32)
    mid = int(conv.turns[2][0] * 16000) - 8000
    audio = np.concatenate([conv.audio[:mid], music, conv.audio[mid:]])
    d = _diarize(audio, vad, encoder)
    assert 2 <= len(d.seconds) <= 3


def test_six_speakers(vad, encoder):
    voices_ = ["allison", "gcin", "librivox", "alsa"]
    parts = []
    for v in voices_:
        parts += list(clips(v)[:4]) + [np.zeros(8000, np.float32)]
    for voice in ("en+m3", "en+f4"):  # espeak-ng's voices are people too, as far as a model can tell
        parts += [speak("The quarterly numbers look good and we should plan the next release soon.", voice),
                  speak("Please send me the report before Friday so that we can review it together.", voice),
                  np.zeros(8000, np.float32)]
    audio = np.concatenate([np.concatenate([p, np.zeros(6000, np.float32)]) for p in parts])
    d = _diarize(audio, vad, encoder)
    assert 4 <= len(d.seconds) <= 8  # estimated, never collapsed to one or exploded per window
    d6 = _diarize(audio, vad, encoder, n=6)
    assert len(d6.seconds) == 6


def test_a_short_segment_and_more_speakers_than_the_speech_allows(vad, encoder):
    from ingest.speakers.diarize import diarize

    x = clips("allison")[3]
    audio = np.concatenate([np.zeros(8000, np.float32), x[:int(0.4 * 16000)], np.zeros(8000, np.float32)])
    d = diarize(audio, [(0.5, 0.9)], encoder, None)  # 0.4 s: one window
    assert [p[2] for p in d.parts] == [0]
    d = diarize(audio, [(0.5, 0.9)], encoder, 5)  # five asked, one window of speech
    assert len(d.seconds) == 1
    d = diarize(audio, [(0.5, 0.7)], encoder, 2)  # too short to embed at all
    assert d.parts == [(0.5, 0.7, 0)]


def test_speakers_option_is_checked(tmp_path):
    from cli import main
    from ingest.speakers.diarize import parse_speakers

    assert parse_speakers("auto") is None and parse_speakers("off") == 1 and parse_speakers("2") == 2
    for bad in ("0", "11", "two", "-1"):
        with pytest.raises(ValueError, match="speakers must be auto, off or a number from 1 to 10"):
            parse_speakers(bad)
    wav = write_wav(tmp_path / "x.wav", np.zeros(16000, np.float32))
    assert main(["ingest", str(wav), "--speakers", "12", "--db", str(tmp_path / "tb.duckdb"), "--quiet"]) == 2


def test_campplus_loads_through_funasr_from_a_hub_layout_directory(tmp_path):
    from campplus_random import build_campplus_dir

    from ingest.models.speaker_encoders import CamPlusEncoder, SpeakerModelUnavailable, SpeakerSettings, load_encoder

    model_dir = build_campplus_dir(tmp_path / "campplus")
    enc = CamPlusEncoder(str(model_dir))
    assert type(enc.model).__name__ == "CAMPPlus" and enc.kind == "campplus"
    emb = enc.embed([clips("allison")[0][:24000], clips("gcin")[0][:16000], clips("gcin")[1][:16000]])
    assert emb.shape == (3, 192) and np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-4)
    # auto picks CAM++ when it loads, and says so when it cannot
    assert load_encoder(SpeakerSettings(model=str(model_dir))).kind == "campplus"
    notes = []
    assert load_encoder(SpeakerSettings(model=str(tmp_path / "nowhere")), warn=notes.append).kind == "voice-encoder"
    assert notes and "CAM++ could not be loaded" in notes[0]
    with pytest.raises(SpeakerModelUnavailable):
        load_encoder(SpeakerSettings(encoder="campplus", model=str(tmp_path)))


def test_roles_from_opening_lines_and_the_dominant_speaker():
    from ingest.speakers.roles import lead_speaker, load_openings

    op = load_openings()
    said = [("S1", 0.5, "喂，你好"), ("S2", 2.0, "您好，请问有什么可以帮您？"), ("S1", 5.0, "我的订单没到")]
    assert lead_speaker(said, "service", op, {"S1": 5, "S2": 3}) == ("S2", "says an opening line")
    said_en = [("S1", 0.3, "Hi there"), ("S2", 1.5, "Thank you for calling Acme, how can I help?")]
    assert lead_speaker(said_en, "sales", op, {"S1": 1, "S2": 4}) == ("S2", "says an opening line")
    assert lead_speaker([("S1", 0.2, "hmm"), ("S2", 3, "ok")], "service", op, {"S1": 1, "S2": 9}) == ("S1", "speaks first")
    assert lead_speaker(said, "class", op, {"S1": 50, "S2": 300}) == ("S2", "speaks most")
    late = [("S1", 0.5, "hello"), ("S2", 45.0, "thank you for calling")]  # past the first 30 s: not an opening
    assert lead_speaker(late, "service", op, {"S1": 1, "S2": 1}) == ("S1", "speaks first")


def test_the_timeline_shows_who_spoke_and_fixes_it_in_one_click(two_person, tmp_path):
    """The dashboard's timeline lists the speakers; 'Swap the roles' and 'this speaker is Li'
    (with 'remember this voice') are stored as corrections and a voiceprint."""
    import os
    import shutil
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from analytics.db import Data
    from ingest.store import voiceprints
    from ingest.store.layout import store_dir

    _, data, _ = two_person
    db = tmp_path / "copy.duckdb"
    shutil.copytree(store_dir(data.db_path), store_dir(db))
    rid, = Data(db).con.execute("SELECT recording_id FROM recordings").fetchone()
    os.environ["TONEBOARD_DB"] = str(db)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py"), default_timeout=90)
    at.session_state["lang"] = "en"
    at.session_state["recording_id"] = rid
    at.run()
    at.switch_page("views/timeline.py")
    at.run()
    assert not at.exception, at.exception
    assert "Who spoke" in [s.value for s in at.subheader]
    lines = [m.value for m in at.markdown if m.value.startswith("**S")]
    assert len(lines) == 2 and any("· agent ·" in x for x in lines) and any("· customer ·" in x for x in lines), lines
    before = dict(Data(db).con.execute("SELECT speaker, role FROM speakers").fetchall())
    at.button(key=f"tl_swap_{rid}").click().run()
    assert not at.exception, at.exception
    after = dict(Data(db).con.execute("SELECT speaker, role FROM speakers").fetchall())
    assert after == {s: ("customer" if r == "agent" else "agent") for s, r in before.items()}
    agent = next(s for s, r in after.items() if r == "agent")
    at.selectbox(key=f"tl_spk_{rid}").set_value(agent)
    at.text_input(key=f"tl_spk_name_{rid}").input("Li")
    at.checkbox(key=f"tl_spk_voice_{rid}").check()
    at.button[-1].click().run()  # the form's Save
    assert not at.exception, at.exception
    assert any("Voiceprint of Li saved" in s.value for s in at.success), [s.value for s in at.success]
    lines = [m.value for m in at.markdown if m.value.startswith("**S")]
    assert any(f"**{agent}** · agent · Li ·" in x for x in lines), lines  # the lines show the fix at once
    assert Data(db).con.execute("SELECT name FROM speakers WHERE speaker = ?", [agent]).fetchone() == ("Li",)
    assert [v.name for v in voiceprints.load_all(db)] == ["Li"]


def test_a_hub_out_of_reach_is_not_asked_again_by_the_next_run(tmp_path, monkeypatch):
    """Each try costs ~20 s of retries when the hub cannot be reached: the failure is remembered on
    disk, so the next ingest run (another process) goes straight to the voice encoder."""
    import json

    from ingest.models import speaker_encoders as speakers

    monkeypatch.setenv("TONEBOARD_CACHE", str(tmp_path / "cache"))
    tries = []

    def unreachable(*a, **k):
        tries.append(a)
        raise speakers.SpeakerModelUnavailable("could not download iic/campplus: no access to the model hub")
    monkeypatch.setattr(speakers, "CamPlusEncoder", unreachable)
    notes = []
    assert speakers.load_encoder(speakers.SpeakerSettings(model="iic/campplus"), warn=notes.append).kind == "voice-encoder"
    remembered = json.loads((tmp_path / "cache" / "hub-failures.json").read_text())
    assert list(remembered) == ["iic/campplus|ms"]  # on disk: what another process reads
    assert speakers.load_encoder(speakers.SpeakerSettings(model="iic/campplus"), warn=notes.append).kind == "voice-encoder"
    assert len(tries) == 1 and "tried less than 10 min ago" in notes[1]
    monkeypatch.setattr(speakers, "RETRY_AFTER_S", 0.0)  # after the wait, the hub is asked again
    speakers.load_encoder(speakers.SpeakerSettings(model="iic/campplus"))
    assert len(tries) == 2


def test_the_voice_encoders_mel_filters_are_librosas():
    """Resemblyzer's encoder was trained on librosa's mel filters; toneboard computes them itself
    (librosa's import costs ~125 MB in every ingest) and must get the same values."""
    import librosa

    from ingest.models.speaker_encoders import mel_filters

    ours, theirs = mel_filters(16000, 400, 40), librosa.filters.mel(sr=16000, n_fft=400, n_mels=40)
    assert ours.shape == theirs.shape == (40, 201) and np.abs(ours - theirs).max() < 1e-7
