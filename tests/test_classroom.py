"""The classroom's stuck points against a plain reading of the same segments: for every question
of the teacher, the silence until the next segment and whether someone coughed before the teacher
spoke again (within the window)."""
import math
from pathlib import Path

import pytest

from analytics.classroom import stuck_points
from analytics.filters import Filter

TEACHER = ("teacher", "mixed")


def _by_hand(con, cough_window_s: float) -> list[tuple]:
    rows = con.execute("""SELECT s.recording_id, s.channel, s.start_s, s.end_s, s.role, s.is_question,
                                 list_contains(s.events, 'COUGH') AS cough, r.duration_s
                          FROM segments s JOIN recordings r USING (recording_id) WHERE r.kind = 'class'
                          ORDER BY s.recording_id, s.start_s, s.channel""").fetchall()
    out = []
    for i, (rid, _, _, end, role, question, _, duration) in enumerate(rows):
        if role not in TEACHER or not question:
            continue
        later = [x for x in rows[i + 1:] if x[0] == rid]
        silence = max(later[0][2] - end, 0) if later else duration - end
        teacher = next((x[2] for x in later if x[4] in TEACHER), math.inf)
        cough = next((x[2] for x in later if x[6]), math.inf)
        out.append((rid, round(end, 3), round(silence, 3), cough <= min(end + cough_window_s, teacher)))
    return sorted(out)


@pytest.mark.parametrize("cough_window_s", [0.5, 10.0, 1000.0])
def test_every_question_has_the_silence_and_the_cough_a_plain_reading_finds(demo, cough_window_s):
    _, _, con = demo
    found = stuck_points(con, Filter(kinds=["class"]), mode="silence", min_silence_s=-1.0, cough_window_s=cough_window_s)
    got = sorted((r.recording_id, round(r.at_s, 3), round(r.silence_s, 3), bool(r.coughed)) for r in found.itertuples())
    expected = _by_hand(con, cough_window_s)
    assert len(expected) > 10 and got == expected
    coughed = [c for *_, c in expected]
    assert not all(coughed) and (any(coughed) or cough_window_s < 1)


def _class(tmp_path, lines):
    """A stored mono class of ``lines`` (role, start_s, end_s, text, events); its reader's connection."""
    from analytics.db import Data
    from ingest.records import Recording, Segment, now
    from ingest.store import Store

    store = Store(tmp_path / "c.duckdb")
    store.init()
    rid = "c" * 64
    segs = [Segment(recording_id=rid, channel=0, role=role, seg_index=i, start_s=a, end_s=b, language="en",
                    emotion="NEUTRAL", emotion_confidence=None, events=events, itn=True, text=text, raw_text="",
                    loudness_dbfs=-20, speaking_rate=None, rate_unit=None)
            for i, (role, a, b, text, events) in enumerate(lines)]
    rec = Recording(recording_id=rid, path="c", filename="c.wav", size_bytes=1, format="wav", codec=None,
                    duration_s=60.0, sample_rate=16000, channels=1, analysed_channels=1, mixed=False, kind="class",
                    outcome=None, batch_id="b", recorded_at=None, recorded_at_source="x", language_requested="auto",
                    model_id="m", model_revision=None, pipeline_version="1", vad="silero", ingested_at=now(),
                    n_segments=len(segs), speech_s=30.0)
    store.write_recording(rec, segs, [])
    return Data(tmp_path / "c.duckdb").con


def test_a_cough_after_an_answer_counts_and_one_after_the_teacher_spoke_again_does_not(tmp_path):
    con = _class(tmp_path, [("teacher", 0.0, 2.0, "who knows?", []),      # answered, then a cough: coughed
                            ("student", 3.0, 4.0, "me", []),
                            ("student", 5.0, 5.5, "", ["COUGH"]),
                            ("teacher", 8.0, 10.0, "and why?", []),       # the teacher goes on: no cough
                            ("teacher", 11.0, 12.0, "think", []),
                            ("student", 13.0, 13.5, "", ["COUGH"]),
                            ("teacher", 20.0, 21.0, "anyone?", [])])      # silence to the end: 39 s
    got = stuck_points(con, Filter(kinds=["class"]), mode="silence", min_silence_s=-1.0, teacher_roles=("teacher",))
    assert [(r.at_s, r.silence_s, r.coughed) for r in got.itertuples()] == [(2.0, 1.0, True), (10.0, 1.0, False),
                                                                          (21.0, 39.0, False)]
    assert list(got["question"]) == ["who knows?", "and why?", "anyone?"]
    counted = stuck_points(con, Filter(kinds=["class"]), mode="silence", min_silence_s=-1.0, teacher_roles=("teacher",),
                           text=False)
    assert counted.drop(columns="question").equals(got.drop(columns="question")) and counted["question"].isna().all()
    assert sorted((r, a, s, c) for r, a, s, c in _by_hand(con, 10.0)) == sorted(
        (r.recording_id, r.at_s, r.silence_s, r.coughed) for r in got.itertuples())


def _both_ways(con) -> None:
    """Stuck points read from what loading found equal those found by ordering every class now
    (the same roles named in another order take that path)."""
    for kw in ({}, {"mode": "silence", "min_silence_s": -1.0, "text": False}, {"mode": "cough", "cough_window_s": 1000.0}):
        stored = stuck_points(con, Filter(kinds=["class"]), **kw)
        ordered = stuck_points(con, Filter(kinds=["class"]), teacher_roles=("mixed", "teacher"), **kw)
        assert len(stored) > 3 and stored.equals(ordered), kw


def test_what_follows_a_question_is_found_once_when_a_recording_is_compacted(demo_copy):
    data, _ = demo_copy  # the demo is stored through the loader and compacted, as every batch is
    assert data.con.execute("SELECT count(*) FROM mem.segments").fetchone()[0] == 0  # all read from the months
    questions = "SELECT count(*) FROM segments WHERE follows_known AND is_question AND next_start_s IS NOT NULL"
    assert data.con.execute(questions).fetchone()[0] > 10
    _both_ways(data.con)


def test_recordings_compacted_before_it_was_stored_are_ordered_when_asked(demo_copy):
    """A store compacted by an earlier version has no follows_* columns: its classes are ordered
    when stuck points are asked for, with the same answer."""
    import duckdb

    from analytics.db import Data
    from ingest.store.compacted import current

    data, _ = demo_copy
    expected = stuck_points(data.con, Filter(kinds=["class"]))
    files = data.store.compacted_files(current(data.store.root), "segments")
    assert files
    for f in files:  # as an earlier version wrote them
        duckdb.execute(f"COPY (SELECT * EXCLUDE (follows_known, next_start_s, next_teacher_s, next_cough_s) "
                       f"FROM read_parquet('{f}')) TO '{f}.old' (FORMAT parquet)")
        Path(f + ".old").replace(f)
    con = Data(data.db_path).con
    assert con.execute("SELECT count(*) FROM segments WHERE follows_known").fetchone()[0] == 0
    assert stuck_points(con, Filter(kinds=["class"])).equals(expected)
    _both_ways(con)


def test_the_words_of_a_few_stuck_points_are_those_of_their_questions(demo):
    from analytics.classroom import with_questions

    _, _, con = demo
    every = stuck_points(con, Filter(kinds=["class"]))
    few = stuck_points(con, Filter(kinds=["class"]), text=False).iloc[[0, 2, 3]]
    assert few["question"].isna().all()
    assert with_questions(con, few).equals(every.iloc[[0, 2, 3]])
