"""Silero VAD finds the synthesised speech where it was put."""
import numpy as np

from ingest.vad import VadSettings, load_vad, split_long
from synth import assert_spans_close, merge_regions


def test_silero_finds_utterances(mono_layout):
    vad = load_vad(VadSettings())
    assert_spans_close(merge_regions(vad.speech_spans(mono_layout.audio[0])), mono_layout.spans[0])


def test_silence_and_noise_have_no_speech():
    vad = load_vad(VadSettings())
    assert vad.speech_spans(np.zeros(16000 * 3, np.float32)) == []
    assert vad.speech_spans(np.random.default_rng(0).normal(0, 0.01, 16000 * 3).astype(np.float32)) == []


def test_split_long():
    assert split_long([(0.0, 10.0), (12.0, 13.0)], 4.0) == [
        (0.0, 10 / 3), (10 / 3, 20 / 3), (20 / 3, 10.0), (12.0, 13.0)]
    assert split_long([(0.0, 4.0)], 4.0) == [(0.0, 4.0)]
