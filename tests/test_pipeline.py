"""End to end: folders of mixed good and bad files into the store and the database views."""
import hashlib

import duckdb
import numpy as np
import pytest
from doubles import LoudnessTaggingRecognizerDouble
from synth import assert_spans_close, merge_regions, write_wav

from ingest.batch.pipeline import IngestOptions, ingest_paths


def _opts(tmp_path, **kw):
    return IngestOptions(db=tmp_path / "db" / "tb.duckdb", device="cpu", threads=1, **kw)


def _query(db, sql, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_mixed_batch_boundaries_pauses_and_rerun(tmp_path, batch_dir, recognizer, mono_layout, stereo_layout):
    opts = _opts(tmp_path, kind="service", metadata={"team": "Shenzhen"})
    report = ingest_paths([batch_dir], opts, recognizer=recognizer)
    b = report.batch
    assert (b.n_files, b.n_ingested, b.n_skipped, b.n_failed, b.status) == (5, 2, 0, 3, "finished")
    reasons = {o.path.rsplit("/", 1)[1]: o.reason for o in report.failed}
    assert reasons["empty.wav"] == "empty file (0 bytes)"
    assert reasons["fake.mp3"].startswith("not a readable audio/video file")
    assert reasons["silence.wav"].startswith("no speech found")
    db = opts.db
    assert _query(db, "SELECT count(*) FROM ingest_errors")[0][0] == 3

    # mono: segment boundaries match the synthesised layout within 0.3 s
    rid = hashlib.sha256((batch_dir / "call one.wav").read_bytes()).hexdigest()
    segs = _query(db, "SELECT start_s, end_s, channel, role FROM segments WHERE recording_id = ? ORDER BY seg_index", [rid])
    assert {(ch, role) for _, _, ch, role in segs} == {(0, "mixed")}
    assert_spans_close(merge_regions([(s, e) for s, e, _, _ in segs]), mono_layout.spans[0])
    pauses = _query(db, "SELECT duration_s FROM pauses WHERE recording_id = ? AND duration_s > 1 ORDER BY start_s", [rid])
    assert [round(p[0], 1) for (p) in pauses] == pytest.approx([2.0, 1.2], abs=0.3)
    rec = _query(db, "SELECT kind, n_segments, analysed_channels, model_id, pipeline_version FROM recordings "
                     "WHERE recording_id = ?", [rid])[0]
    assert rec[0] == "service" and rec[1] == len(segs) and rec[2] == 1 and rec[3] and rec[4]
    assert _query(db, "SELECT value FROM metadata WHERE recording_id = ? AND key = 'team'", [rid]) == [("Shenzhen",)]

    # stereo: each channel analysed on its own, with its role and its own timing
    st = _query(db, "SELECT channel, role, start_s, end_s FROM segments s JOIN recordings r USING (recording_id) "
                    "WHERE r.analysed_channels = 2 ORDER BY channel, start_s")
    for ch, role in ((0, "agent"), (1, "customer")):
        assert {r for c, r, _, _ in st if c == ch} == {role}
        assert_spans_close(merge_regions([(s, e) for c, _, s, e in st if c == ch]), stereo_layout.spans[ch])
    assert _query(db, "SELECT count(*) FROM pauses WHERE channel = -1")[0][0] >= 1  # nobody speaking

    # a second run skips everything and writes nothing new
    before = _query(db, "SELECT count(*) FROM segments")[0][0]
    again = ingest_paths([batch_dir], opts, recognizer=recognizer)
    assert (again.batch.n_ingested, again.batch.n_skipped, again.batch.n_failed) == (0, 2, 3)
    assert _query(db, "SELECT count(*) FROM segments")[0][0] == before
    assert _query(db, "SELECT count(*), count(DISTINCT recording_id) FROM recordings")[0] == (2, 2)
    assert _query(db, "SELECT count(*) FROM batches")[0][0] == 2


def test_force_replaces_without_duplicates(tmp_path, mono_layout, recognizer):
    f = write_wav(tmp_path / "a.wav", mono_layout.audio)
    opts = _opts(tmp_path)
    ingest_paths([f], opts, recognizer=recognizer)
    opts.force, opts.kind = True, "sales"
    r = ingest_paths([f], opts, recognizer=recognizer)
    assert r.batch.n_ingested == 1
    assert _query(opts.db, "SELECT count(*), any_value(kind) FROM recordings") == [(1, "sales")]
    n = _query(opts.db, "SELECT n_segments FROM recordings")[0][0]
    assert _query(opts.db, "SELECT count(*) FROM segments")[0][0] == n


def test_another_model_reanalyses_instead_of_skipping(tmp_path, mono_layout, recognizer):
    """Results of one model are not kept when the user switches models (e.g. after an offline
    'make run' fell back to a random-weight model): the file is analysed again and replaced."""
    f = write_wav(tmp_path / "a.wav", mono_layout.audio)
    opts = _opts(tmp_path)
    assert ingest_paths([f], opts, recognizer=LoudnessTaggingRecognizerDouble()).batch.n_ingested == 1
    again = ingest_paths([f], opts, recognizer=recognizer)
    assert (again.batch.n_ingested, again.batch.n_skipped) == (1, 0)
    assert _query(opts.db, "SELECT count(*), any_value(model_id) FROM recordings") == [(1, recognizer.model_id)]
    assert ingest_paths([f], opts, recognizer=recognizer).batch.n_skipped == 1


def test_tags_flow_into_the_database(tmp_path, clips):
    """With a test double at the recogniser boundary: tags, confidence and rate reach the views."""
    from synth import compose

    lay = compose([(0.0, clips[0] * 0.2), (1.5, clips[1] * 1.6)])
    f = write_wav(tmp_path / "t.wav", lay.audio)
    double = LoudnessTaggingRecognizerDouble()
    opts = _opts(tmp_path, language="auto")
    assert ingest_paths([f], opts, recognizer=double).batch.n_ingested == 1
    rows = _query(opts.db, "SELECT emotion, emotion_confidence, events, language, text, itn, rate_unit, loudness_dbfs "
                           "FROM segments ORDER BY start_s")
    emotions = [r[0] for r in rows]
    assert "ANGRY" in emotions and "NEUTRAL" in emotions
    angry = next(r for r in rows if r[0] == "ANGRY")
    calm = next(r for r in rows if r[0] == "NEUTRAL")
    assert angry[1] == 0.9 and angry[2] == ["LAUGHTER"] and angry[3] == "en" and angry[6] == "words/s"
    assert calm[2] == [] and calm[3] == "zh" and calm[4] == "好的，我来查一下" and calm[6] == "chars/s"
    assert angry[7] > calm[7]
    assert _query(opts.db, "SELECT model_id FROM recordings") == [("test-double",)]


def test_manifest_sets_fields_and_metadata(tmp_path, mono_layout, recognizer):
    d = tmp_path / "calls"
    d.mkdir()
    write_wav(d / "a.wav", mono_layout.audio)
    write_wav(d / "b.wav", mono_layout.audio * 0.5)
    (d / "manifest.csv").write_text(
        "\ufefffilename,kind,outcome,agent,team,customer,recorded_at\n"
        "a.wav,sales,won,Li,Shenzhen,ACME,2026-11-20 09:30\n"
        "b.wav,sales,maybe,Wang,Beijing,Initech,2026-11-21\n"
        "missing.wav,sales,lost,Li,Shenzhen,X,2026-11-22\n", encoding="utf-8")
    r = ingest_paths([], _opts(tmp_path, manifest=d / "manifest.csv"), recognizer=recognizer)
    assert (r.batch.n_ingested, r.batch.n_failed) == (1, 2)
    assert {role for (role,) in _query(tmp_path / "db" / "tb.duckdb", "SELECT DISTINCT role FROM segments")} == {"mixed"}
    reasons = sorted(o.reason for o in r.failed)
    assert "file not found (listed in the manifest)" in reasons
    assert any("outcome 'maybe' is not won or lost" in x for x in reasons)
    db = tmp_path / "db" / "tb.duckdb"
    assert _query(db, "SELECT kind, outcome, recorded_at::VARCHAR, recorded_at_source FROM recordings") == [
        ("sales", "won", "2026-11-20 09:30:00", "manifest")]
    assert sorted(_query(db, "SELECT key, value FROM metadata")) == [
        ("agent", "Li"), ("customer", "ACME"), ("team", "Shenzhen")]


def test_manifest_roles(tmp_path, mono_layout, stereo_layout, recognizer):
    d = tmp_path / "class"
    d.mkdir()
    write_wav(d / "lesson.wav", stereo_layout.audio)
    write_wav(d / "mono.wav", mono_layout.audio)
    (d / "m.csv").write_text("filename,channel_roles,role\nlesson.wav,\"teacher,student\",\nmono.wav,,teacher\n")
    r = ingest_paths([], _opts(tmp_path, manifest=d / "m.csv", kind="class"), recognizer=recognizer)
    assert r.batch.n_ingested == 2
    roles = _query(tmp_path / "db" / "tb.duckdb", "SELECT r.filename, list(DISTINCT s.role ORDER BY s.role) FROM segments s "
                                                 "JOIN recordings r USING (recording_id) GROUP BY 1 ORDER BY 1")
    assert roles == [("lesson.wav", ["student", "teacher"]), ("mono.wav", ["teacher"])]


def test_invalid_options_are_refused(tmp_path):
    with pytest.raises(ValueError, match="kind must be one of"):
        ingest_paths([tmp_path], _opts(tmp_path, kind="support"))
    with pytest.raises(ValueError, match="cannot read the time"):
        ingest_paths([tmp_path], _opts(tmp_path, recorded_at="yesterday"))


def test_no_speech_file_and_missing_model_dir(tmp_path):
    """The model is loaded only when a file needs it: a batch of silence never loads it."""
    f = write_wav(tmp_path / "quiet.wav", np.zeros(16000, np.float32))
    r = ingest_paths([f], _opts(tmp_path, model=str(tmp_path / "no-model")))
    assert r.failed[0].reason.startswith("no speech found")


def test_bundled_samples_five_languages(tmp_path, recognizer):
    """The samples `make run` ingests: zh (pinyin voice), en stereo call, yue, ja (kana), ko;
    ogg, mp3, m4a, opus and flac."""
    from pathlib import Path

    samples = Path(__file__).resolve().parent.parent / "data" / "samples"
    opts = _opts(tmp_path, manifest=samples / "manifest.csv")
    r = ingest_paths([samples], opts, recognizer=recognizer)
    assert (r.batch.n_ingested, r.batch.n_failed) == (5, 0), r.outcomes
    rows = _query(opts.db, "SELECT filename, kind, outcome, analysed_channels, n_segments FROM recordings ORDER BY filename")
    assert [(f, k, o, ch) for f, k, o, ch, _ in rows] == [
        ("class-yue.m4a", "class", None, 1), ("sales-demo-ja.flac", "sales", "lost", 1),
        ("sales-demo-zh.mp3", "sales", "won", 1), ("service-call-en.ogg", "service", None, 2),
        ("service-ko.opus", "service", None, 1)]
    assert all(n >= 2 for *_, n in rows)  # every sample has at least two utterances
    roles = _query(opts.db, "SELECT DISTINCT role FROM segments s JOIN recordings r USING (recording_id) "
                            "WHERE r.filename = 'service-call-en.ogg' ORDER BY role")
    assert roles == [("agent",), ("customer",)]


def test_look_ahead_changes_nothing_but_the_overlap(tmp_path, batch_dir, recognizer, monkeypatch):
    """The next file is decoded and searched for speech while the model works on this one, or
    (without look-ahead) the speech of the next files is found in one VAD pass. A batch with
    broken files and byte-identical copies side by side gives the same outcomes, in the same
    order, and the same rows either way; the copies are skipped, not analysed twice."""
    from ingest.models.vad import SileroVad

    for name in ("call one", "silence"):  # sorted just before the original: analysed side by side
        (batch_dir / f"{name} (copy).wav").write_bytes((batch_dir / f"{name}.wav").read_bytes())
    calls, passes = [], []
    real = SileroVad.speech_spans_many
    monkeypatch.setattr(SileroVad, "speech_spans_many", lambda self, audios: passes.append(len(audios)) or real(self, audios))

    class Counting:  # the real recogniser, counting what it is given
        model_id, revision = recognizer.model_id, recognizer.revision

        def transcribe(self, slices):
            calls.append(len(slices))
            return recognizer.transcribe(slices)

        @property
        def features_s(self):
            return recognizer.features_s

    reports = {}
    for ahead, group_s in ((True, None), (False, None), ("small groups", 0.1)):
        calls.clear()
        passes.clear()
        if group_s is not None:  # a pass holds as much audio as one file
            monkeypatch.setattr("ingest.batch.pipeline.LISTEN_GROUP_S", group_s)
        opts = IngestOptions(db=tmp_path / f"{ahead}.duckdb", device="cpu", threads=1, look_ahead=ahead is True,
                             recorded_at="2026-11-20 09:00")
        reports[ahead] = ingest_paths([batch_dir], opts, recognizer=Counting())
        reports[ahead].calls, reports[ahead].passes = list(calls), list(passes)
    # look-ahead: a VAD pass per file that decodes (the stereo one with its 2 channels; in the order
    # the background thread reaches them); without: one for the batch's 4 channels, then the copy of
    # the silent file (its original failed, so it is analysed at its turn); with small groups, a
    # pass per file again, in order
    assert sorted(reports[True].passes) == [1, 1, 1, 2]
    assert [reports[k].passes for k in (False, "small groups")] == [[4, 1], [1, 1, 1, 2]]
    assert [(o.path, o.status, o.reason) for o in reports["small groups"].outcomes] == \
        [(o.path, o.status, o.reason) for o in reports[False].outcomes]
    for sql in ("SELECT * FROM segments ORDER BY ALL", "SELECT path, stage, reason FROM ingest_errors ORDER BY ALL"):
        assert _query(tmp_path / "small groups.duckdb", sql) == _query(tmp_path / "False.duckdb", sql)
    on, off = reports[True], reports[False]
    assert [(o.path, o.status, o.reason) for o in on.outcomes] == [(o.path, o.status, o.reason) for o in off.outcomes]
    assert on.calls == off.calls and len(on.calls) == on.batch.n_ingested == 2
    assert [o.reason for o in on.outcomes if o.path.endswith("call one.wav")] == ["already ingested"]
    for sql in ("SELECT * EXCLUDE (ingested_at, batch_id, path, filename) FROM recordings ORDER BY ALL",
                "SELECT * FROM segments ORDER BY ALL", "SELECT path, stage, reason FROM ingest_errors ORDER BY ALL"):
        assert _query(tmp_path / "True.duckdb", sql) == _query(tmp_path / "False.duckdb", sql)
    t = on.times
    assert t.decode_s > 0 and t.vad_s > 0 and t.features_s > 0 and t.model_s > 0 and t.signals_s > 0 and t.store_s > 0


def test_look_ahead_by_default_only_where_a_core_or_a_gpu_is_free(monkeypatch):
    from ingest.options import wants_look_ahead

    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert not wants_look_ahead(IngestOptions(device="cpu"))  # the model uses every core
    assert not wants_look_ahead(IngestOptions(device="cpu", threads=4))
    assert wants_look_ahead(IngestOptions(device="cpu", threads=2))
    assert wants_look_ahead(IngestOptions(device="cpu", look_ahead=True, threads=4))
    assert not wants_look_ahead(IngestOptions(device="cpu", look_ahead=False, threads=1))


def test_each_file_is_prepared_once_when_passes_look_ahead(tmp_path, mono_layout, recognizer, monkeypatch):
    """Without look-ahead each pass looks at the next files: a file is still hashed and checked
    against the store once, also when stored files lie between new ones (a folder run again)."""
    import ingest.batch.pipeline

    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(5):  # five different files
        write_wav(folder / f"call {n}.wav", mono_layout.audio + np.float32(n * 1e-4))
    opts = IngestOptions(db=tmp_path / "tb.duckdb", device="cpu", threads=1, look_ahead=False,
                         recorded_at="2026-11-20 09:00")
    prepared = []
    real = ingest.batch.pipeline.prepare
    monkeypatch.setattr(ingest.batch.pipeline, "prepare", lambda job, *a: prepared.append(job.path.name) or real(job, *a))
    ingest_paths([folder / "call 1.wav", folder / "call 3.wav"], opts, recognizer=recognizer)
    prepared.clear()
    report = ingest_paths([folder], opts, recognizer=recognizer)
    assert [o.status for o in report.outcomes] == ["ingested", "skipped"] * 2 + ["ingested"]
    assert sorted(prepared) == [f"call {n}.wav" for n in range(5)], prepared
