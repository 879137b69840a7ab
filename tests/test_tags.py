"""The SenseVoice output parser, on real model outputs and on anything hypothesis can make up."""
import pytest
from hypothesis import given, settings, strategies as st

from ingest.models.tags import EMOTIONS, EVENT_TOKENS, LANGUAGES, parse

# Outputs of SenseVoiceSmall as published in SenseVoice's and FunASR's docs and issues.
REAL = [
    ("<|zh|><|NEUTRAL|><|Speech|><|woitn|>欢迎大家来体验达摩院推出的语音识别模型",
     "zh", "NEUTRAL", [], False, "欢迎大家来体验达摩院推出的语音识别模型"),
    ("<|en|><|SAD|><|Speech|><|woitn|>i did go and made many prisoners",
     "en", "SAD", [], False, "i did go and made many prisoners"),
    ("<|zh|><|ANGRY|><|Speech|><|woitn|>英国的哲学家曾经说过", "zh", "ANGRY", [], False, "英国的哲学家曾经说过"),
    ("<|zh|><|HAPPY|><|Speech|><|woitn|>英国的哲学家曾经说过", "zh", "HAPPY", [], False, "英国的哲学家曾经说过"),
    ("<|nospeech|><|EMO_UNKNOWN|><|Cry|><|woitn|>", "nospeech", "UNKNOWN", ["CRY"], False, ""),
    ("<|nospeech|><|EMO_UNKNOWN|><|Laughter|><|woitn|>", "nospeech", "UNKNOWN", ["LAUGHTER"], False, ""),
    ("<|nospeech|><|EMO_UNKNOWN|><|Cough|><|woitn|>", "nospeech", "UNKNOWN", ["COUGH"], False, ""),
    ("<|en|><|EMO_UNKNOWN|><|Applause|><|woitn|>senior staff", "en", "UNKNOWN", ["APPLAUSE"], False, "senior staff"),
    ("<|nospeech|><|EMO_UNKNOWN|><|Event_UNK|><|woitn|>", "nospeech", "UNKNOWN", [], False, ""),
    ("<|nospeech|><|EMO_UNKNOWN|><|Event_UNK|><|withitn|>", "nospeech", "UNKNOWN", [], True, ""),
    ("<|en|><|HAPPY|><|Speech|><|withitn|>Hi!", "en", "HAPPY", [], True, "Hi!"),
    ("<|yue|><|NEUTRAL|><|Speech|><|withitn|>呢几个字都表达唔到，我想讲嘅意思。",
     "yue", "NEUTRAL", [], True, "呢几个字都表达唔到，我想讲嘅意思。"),
    ("<|ja|><|NEUTRAL|><|Speech|><|withitn|>うちの中学は弁当制です。", "ja", "NEUTRAL", [], True, "うちの中学は弁当制です。"),
    ("<|ko|><|NEUTRAL|><|Speech|><|withitn|>조금만 생각을 하면서 살면 훨씬 편할 거야.",
     "ko", "NEUTRAL", [], True, "조금만 생각을 하면서 살면 훨씬 편할 거야."),
    ("<|zh|><|NEUTRAL|><|BGM|><|withitn|>欢迎收听。", "zh", "NEUTRAL", ["BGM"], True, "欢迎收听。"),
    # missing tokens, partial headers
    ("<|zh|><|NEUTRAL|><|Speech|>欢迎大家", "zh", "NEUTRAL", [], None, "欢迎大家"),
    ("<|en|><|HAPPY|>Hello World", "en", "HAPPY", [], None, "Hello World"),
    ("<|nospeech|><|EMO_UNKNOWN|>", "nospeech", "UNKNOWN", [], None, ""),
    ("", None, "UNKNOWN", [], None, ""),
    ("no tags at all", None, "UNKNOWN", [], None, "no tags at all"),
]


@pytest.mark.parametrize("raw,lang,emo,events,itn,text", REAL)
def test_real_outputs(raw, lang, emo, events, itn, text):
    p = parse(raw)
    assert (p.language, p.emotion, p.events, p.itn, p.text) == (lang, emo, events, itn, text)


def test_several_tagged_runs_keep_each_header():
    raw = ("<|zh|><|SAD|><|Speech|><|withitn|>订单没收到，"
           "<|zh|><|ANGRY|><|Speech|><|withitn|>已经三天了！是不是丢件了")
    p = parse(raw)
    assert [(r.language, r.emotion) for r in p.runs] == [("zh", "SAD"), ("zh", "ANGRY")]
    assert p.text == "订单没收到，已经三天了！是不是丢件了"
    assert p.emotion == "ANGRY"  # the run with the most text decides the segment's emotion


def test_events_of_all_runs_are_kept_once():
    raw = "<|en|><|HAPPY|><|Laughter|><|woitn|>ha<|en|><|HAPPY|><|Laughter|><|woitn|>great<|en|><|NEUTRAL|><|Applause|><|woitn|>"
    assert parse(raw).events == ["LAUGHTER", "APPLAUSE"]


def test_unknown_tokens_are_kept_aside_not_in_text():
    p = parse("<|en|><|NEUTRAL|><|SomethingNew|><|woitn|>hello")
    assert p.text == "hello" and p.runs[0].unknown_tokens == ["SomethingNew"]


def test_mixed_language_text_spacing():
    p = parse("<|en|><|NEUTRAL|><|Speech|><|woitn|>ok<|zh|><|NEUTRAL|><|Speech|><|woitn|>好的")
    assert p.text == "ok好的" and p.language == "en"


TOKENS = ([f"<|{x}|>" for x in LANGUAGES + ("nospeech",)] + [f"<|{e}|>" for e in EMOTIONS + ("EMO_UNKNOWN",)]
          + [f"<|{e}|>" for e in list(EVENT_TOKENS) + ["Speech", "Event_UNK"]] + ["<|withitn|>", "<|woitn|>"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)), max_size=12))
def test_never_raises_and_strips_known_tokens(parts):
    raw = "".join(parts)
    p = parse(raw)
    for tok in TOKENS:
        if tok not in "".join(x for x in parts if x not in TOKENS):  # unless typed inside free text
            assert tok not in p.text
    assert p.emotion in EMOTIONS + ("UNKNOWN",)
    assert set(p.events) <= set(EVENT_TOKENS.values())
    assert p.language in LANGUAGES + ("nospeech", None)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(LANGUAGES), st.sampled_from(EMOTIONS), st.sampled_from(list(EVENT_TOKENS) + ["Speech"]),
       st.booleans(), st.text(alphabet=st.characters(blacklist_characters="<|>",
                                                     blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=30))
def test_header_round_trip(lang, emo, event, itn, text):
    raw = f"<|{lang}|><|{emo}|><|{event}|><|{'withitn' if itn else 'woitn'}|>{text}"
    p = parse(raw)
    assert (p.language, p.emotion, p.itn, p.text) == (lang, emo, itn, text.strip())
    assert p.events == ([] if event == "Speech" else [EVENT_TOKENS[event]])


@given(st.text(max_size=200))
def test_arbitrary_strings(raw):
    p = parse(raw)
    assert isinstance(p.text, str) and isinstance(p.events, list)
