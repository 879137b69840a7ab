"""A probability for every tag: the stored numbers are the model's own (FunASR's CTC logits at the
query frames, over each class set), on the real loading path with a random-weight model."""
import duckdb
import numpy as np
import pytest
import torch
from synth import write_wav

from ingest.analyse import heard_fields
from ingest.batch.pipeline import IngestOptions, ingest_paths
from ingest.models.header import EMOTION_CLASSES, EVENT_CLASSES
from ingest.models.recognize import Recognized
from ingest.models.tags import parse

# the token ids of the model directory the tests build (tests/sensevoice_random.FIXED_SPECIALS),
# written out here so the test does not read them through the code it checks
EMOTION_IDS = {"HAPPY": 25001, "SAD": 25002, "ANGRY": 25003, "NEUTRAL": 25004, "FEARFUL": 25005,
               "DISGUSTED": 25006, "SURPRISED": 25007, "UNKNOWN": 25009}
EVENT_IDS = {"SPEECH": 24993, "BGM": 24995, "LAUGHTER": 24997, "APPLAUSE": 24999, "CRY": 25010, "SNEEZE": 25011,
             "BREATH": 25012, "COUGH": 25013, "SING": 25014, "SPEECH_NOISE": 25015, "UNKNOWN": 25019}
LANGUAGE_IDS = {"zh": 24884, "en": 24885, "yue": 24888, "ja": 24892, "ko": 24896, "nospeech": 24992}


@pytest.fixture(scope="module")
def funasr_logits(tiny_model):
    """FunASR's own AutoModel (nothing of toneboard's loading), and a function giving the CTC
    logits its own inference computes for one slice."""
    from funasr import AutoModel

    # dither off, as toneboard runs it (FunASR's default adds random noise to the features)
    ref = AutoModel(model=str(tiny_model), device="cpu", ncpu=1, disable_update=True, disable_pbar=True,
                    disable_log=True, frontend_conf={"dither": 0.0})
    seen = []
    ref.model.ctc.ctc_lo.register_forward_hook(lambda _m, _i, out: seen.append(out.detach().clone()))

    def logits(audio: np.ndarray) -> torch.Tensor:
        seen.clear()
        ref.generate(input=[audio], batch_size=1, language="auto", use_itn=True, disable_pbar=True)
        return seen[0][0]  # the first call: inference's own log_softmax over every frame
    return logits


def _softmax_over(frame: torch.Tensor, ids: dict[str, int]) -> dict[str, float]:
    p = torch.softmax(frame[list(ids.values())].double(), dim=0)
    return dict(zip(ids, p.tolist()))


def test_stored_probabilities_are_funasrs_own(recognizer, clips, funasr_logits):
    """Emotion at the second query frame, event at the third, language at the first, each a
    softmax over its own classes of the logits FunASR's inference computes (a batch of slices,
    as ingest runs them, against each slice alone in FunASR)."""
    slices = [clips[0], clips[1][:12000], clips[2], clips[3][4000:]]
    got = recognizer.transcribe(slices)
    for audio, r in zip(slices, got):
        frames = funasr_logits(audio)
        for probs, frame, ids in ((r.emotion_probs, 1, EMOTION_IDS), (r.event_probs, 2, EVENT_IDS)):
            want = _softmax_over(frames[frame], ids)
            assert set(probs) == set(want)
            assert max(abs(probs[k] - want[k]) for k in want) < 1e-3, (probs, want)
        assert r.emotion_confidence == r.emotion_probs[r.parsed.emotion]
        if r.parsed.language:
            want = _softmax_over(frames[0], LANGUAGE_IDS)[r.parsed.language]
            assert abs(r.language_confidence - want) < 1e-3
    # a random model's distributions differ from slice to slice: nothing fixed is stored
    assert len({tuple(r.emotion_probs.values()) for r in got}) == len(slices)


def test_each_distribution_sums_to_one_over_its_classes(recognizer, clips):
    for r in recognizer.transcribe(clips[:3]):
        assert list(r.emotion_probs) == list(EMOTION_CLASSES) and list(r.event_probs) == list(EVENT_CLASSES)
        for probs in (r.emotion_probs, r.event_probs):
            assert all(0.0 <= v <= 1.0 for v in probs.values())
            assert abs(sum(probs.values()) - 1.0) < 1e-3


def test_output_without_logits_stores_no_probability():
    """FunASR's emoji form and sherpa-onnx's JSON carry tags but no logits: NULL, never invented."""
    for raw in ("😡 that is not good enough", '{"lang": "<|en|>", "emotion": "<|ANGRY|>", "event": "<|Speech|>", "text": "no"}'):
        heard = heard_fields(Recognized(parse(raw), None), 2.0, -20.0, keep_pii=False)
        assert heard["emotion"] == "ANGRY"
        assert (heard["emotion_probs"], heard["event_probs"], heard["language_confidence"]) == (None, None, None)


def test_probabilities_reach_the_store(tmp_path, mono_layout, recognizer):
    f = write_wav(tmp_path / "p.wav", mono_layout.audio)
    db = tmp_path / "tb.duckdb"
    assert ingest_paths([f], IngestOptions(db=db, device="cpu", threads=1), recognizer=recognizer).batch.n_ingested == 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT emotion, emotion_confidence, emotion_probs, event_probs.SPEECH, "
                           "event_probs FROM segments ORDER BY seg_index").fetchall()
    finally:
        con.close()
    assert len(rows) >= 3
    for emotion, conf, eprobs, speech, vprobs in rows:
        assert set(eprobs) == set(EMOTION_CLASSES) and conf == eprobs[emotion]
        assert speech == vprobs["SPEECH"] and abs(sum(vprobs.values()) - 1) < 1e-3


def test_the_store_keeps_the_classes_the_model_gives():
    """The store imports no model: its struct columns name the classes ingest.models.header reads."""
    from ingest.models.emotion2vec import CLASSES as SECOND_CLASSES
    from ingest.store import schema

    assert schema.PROB_CLASSES == {"EMOTION_PROBS": tuple(EMOTION_CLASSES), "EVENT_PROBS": tuple(EVENT_CLASSES),
                                   "SECOND_EMOTION_PROBS": SECOND_CLASSES}
    assert f"emotion_probs STRUCT({', '.join(c + ' DOUBLE' for c in EMOTION_CLASSES)})" in schema.TABLES["segments"]
