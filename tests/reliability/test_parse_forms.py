"""The parser takes the other forms users bring (issue 14): FunASR's emoji form
(rich_transcription_postprocess, run here on real raw outputs) and sherpa-onnx's JSON result give
the same fields as SenseVoice's raw form, with no emoji or JSON left in the text."""
import json

import pytest
from funasr.utils.postprocess_utils import rich_transcription_postprocess

from ingest.models.tags import parse

RAW = [
    "<|zh|><|ANGRY|><|Speech|><|withitn|>已经三天了，还没到。",
    "<|en|><|HAPPY|><|Laughter|><|withitn|>That's great, thank you!",
    "<|zh|><|SAD|><|BGM|><|withitn|>唉。<|en|><|SAD|><|Speech|><|withitn|>okay then.",
    "<|en|><|SURPRISED|><|Applause|><|withitn|>wow",
    "<|ja|><|FEARFUL|><|Cry|><|withitn|>こわい",
    "<|en|><|DISGUSTED|><|Cough|><|woitn|>ugh",
    "<|nospeech|><|Event_UNK|>",
]


@pytest.mark.parametrize("raw", RAW)
def test_funasr_emoji_form_gives_the_raw_forms_fields(raw):
    want, got = parse(raw), parse(rich_transcription_postprocess(raw))
    assert (got.emotion, got.events, got.text) == (want.emotion, want.events, want.text)
    assert not any(ord(c) > 0x1F000 for c in got.text)


@pytest.mark.parametrize("raw", RAW[:2] + RAW[3:6])
def test_sherpa_onnx_json_gives_the_raw_forms_fields(raw):
    want = parse(raw)
    run = want.runs[0]
    tokens = raw.split("|>")
    result = {"lang": tokens[0] + "|>", "emotion": tokens[1] + "|>", "event": tokens[2] + "|>",
              "text": run.text, "timestamps": [0.0, 0.1], "tokens": list(run.text[:2]), "words": []}
    got = parse(json.dumps(result, ensure_ascii=False))
    assert (got.language, got.emotion, got.events, got.text) == (want.language, want.emotion, want.events, want.text)
    bare = parse(json.dumps({**result, "lang": result["lang"][2:-2], "emotion": result["emotion"][2:-2]}))
    assert (bare.language, bare.emotion) == (want.language, want.emotion)  # values without <| |>


def test_plain_text_and_garbage_stay_text():
    assert parse("hello there").text == "hello there" and parse("{not json").text == "{not json"
    assert parse('{"a": 1}').text == '{"a": 1}'
