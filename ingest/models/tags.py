"""Parse SenseVoice's raw output into language, emotion, audio events, ITN flag and clean text.

SenseVoice prefixes each run of text with four tokens: language, emotion, event, text
normalisation, e.g. ``<|zh|><|ANGRY|><|Speech|><|withitn|>已经三天了``. One output can hold several
tagged runs; tokens can be missing, unknown (``<|EMO_UNKNOWN|>``, ``<|Event_UNK|>``) or describe no
speech at all (``<|nospeech|>``). Parsing never raises.

The other forms users bring give the same fields: FunASR's emoji form
(``rich_transcription_postprocess``: events as leading emojis, the emotion as a trailing one, no
language) and sherpa-onnx's JSON result (``{"lang": "<|zh|>", "emotion": "<|ANGRY|>", "event":
"<|Speech|>", "text": …}``). No emoji or JSON is left in the text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

LANGUAGES = ("zh", "en", "yue", "ja", "ko")
EMOTIONS = ("HAPPY", "SAD", "ANGRY", "NEUTRAL", "FEARFUL", "DISGUSTED", "SURPRISED")
UNKNOWN_EMOTION = "UNKNOWN"
# SenseVoice event token -> toneboard event name. "Speech" is the plain speech event, not stored.
EVENT_TOKENS = {
    "BGM": "BGM", "Applause": "APPLAUSE", "Laughter": "LAUGHTER", "Cry": "CRY",
    "Sneeze": "SNEEZE", "Breath": "BREATH", "Cough": "COUGH", "Sing": "SING",
    "Speech_Noise": "SPEECH_NOISE",
}
EVENTS = tuple(EVENT_TOKENS.values())
_NON_EVENTS = {"Speech", "Event_UNK", "GBG"}
_ITN = {"withitn": True, "woitn": False}
_TOKEN = re.compile(r"<\|([^|<>]*)\|>")


@dataclass
class TaggedRun:
    """One run of text under one header."""

    language: str | None = None
    emotion: str | None = None
    events: list[str] = field(default_factory=list)
    itn: bool | None = None
    text: str = ""
    unknown_tokens: list[str] = field(default_factory=list)


@dataclass
class ParsedOutput:
    """SenseVoice's output for one segment. Segment-level fields summarise the runs: the language
    and emotion of the run with the most text, the events of all runs."""

    runs: list[TaggedRun]
    raw: str

    @property
    def text(self) -> str:
        return _join([r.text for r in self.runs])

    @property
    def _main(self) -> TaggedRun | None:
        tagged = [r for r in self.runs if r.language or r.emotion]
        if not tagged:
            return None
        return max(tagged, key=lambda r: len(r.text))  # max keeps the first of equals

    @property
    def language(self) -> str | None:
        main = self._main
        return main.language if main else None

    @property
    def emotion(self) -> str:
        main = self._main
        return (main.emotion if main and main.emotion else UNKNOWN_EMOTION)

    @property
    def events(self) -> list[str]:
        seen: list[str] = []
        for r in self.runs:
            seen += [e for e in r.events if e not in seen]
        return seen

    @property
    def itn(self) -> bool | None:
        main = self._main
        return main.itn if main else None


def _join(parts: list[str]) -> str:
    out = ""
    for p in (p.strip() for p in parts):
        if not p:
            continue
        # no space between CJK runs, one space between anything else
        cjk_join = _is_cjk(out[-1:] or " ") or _is_cjk(p[0]) or (
            out[-1:] in (",", ".", "!", "?", ";", ":") and _is_cjk(out[-2:-1] or " "))
        if out and not cjk_join:
            out += " "
        out += p
    return out


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x3000 <= o <= 0x9FFF) or (0xAC00 <= o <= 0xD7AF) or (0xF900 <= o <= 0xFAFF) or (0xFF00 <= o <= 0xFFEF)


# FunASR's rich_transcription_postprocess emojis (funasr.utils.postprocess_utils), back to tokens
EMOJI_EMOTIONS = {"😊": "HAPPY", "😔": "SAD", "😡": "ANGRY", "😰": "FEARFUL", "🤢": "DISGUSTED", "😮": "SURPRISED"}
# FunASR writes 🤧 for both Sneeze and Cough: read as a cough, by far the more common in calls
EMOJI_EVENTS = {"🎼": "BGM", "👏": "Applause", "😀": "Laughter", "😭": "Cry", "🤧": "Cough", "😷": "Cough"}
_EMOJI = re.compile("[" + "".join(EMOJI_EMOTIONS) + "".join(EMOJI_EVENTS) + "❓]")


def _from_json(raw: str) -> str | None:
    """sherpa-onnx's result as SenseVoice's raw form; None if ``raw`` is not such JSON."""
    try:
        d = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(d, dict) or not isinstance(d.get("text"), str):
        return None

    def token(v) -> str:
        v = str(v or "").strip()
        return "" if not v else v if v.startswith("<|") else f"<|{v}|>"
    return "".join(token(d.get(k)) for k in ("lang", "emotion", "event")) + d["text"]


def _from_emoji(raw: str) -> str:
    """FunASR's emoji form as SenseVoice's raw form (the language is not in it)."""
    if "❓" in raw and not _EMOJI.sub("", raw).strip():
        return "<|nospeech|><|Event_UNK|>"
    emotions = [EMOJI_EMOTIONS[c] for c in raw if c in EMOJI_EMOTIONS]
    events = [EMOJI_EVENTS[c] for c in dict.fromkeys(raw) if c in EMOJI_EVENTS]
    emotion = max(emotions, key=emotions.count) if emotions else "NEUTRAL"  # no emoji: NEUTRAL
    text = re.sub(r"\s{2,}", " ", _EMOJI.sub(" ", raw)).strip()
    return f"<|{emotion}|>" + "".join(f"<|{e}|>" for e in events) + text


def parse(raw: str | None) -> ParsedOutput:
    """Parse one SenseVoice output string; any input, even garbage, gives a ParsedOutput."""
    raw = raw if isinstance(raw, str) else ""
    tagged = (_from_json(raw) if raw.lstrip().startswith("{")  # another form of the same output?
              else _from_emoji(raw) if "<|" not in raw and _EMOJI.search(raw) else None)
    if tagged is not None:
        return ParsedOutput(runs=parse(tagged).runs, raw=raw)
    runs: list[TaggedRun] = []
    cur: TaggedRun | None = None
    pos = 0
    for m in _TOKEN.finditer(raw):
        text = raw[pos:m.start()]
        pos = m.end()
        if text.strip():
            if cur is None:
                cur = TaggedRun()
                runs.append(cur)
            cur.text = _join([cur.text, text])
        name = m.group(1)
        # a language token after text (or a second language token) opens a new run
        is_lang = name in LANGUAGES or name == "nospeech"
        if cur is None or (is_lang and (cur.text or cur.language)) or (
            not is_lang and cur.text and _slot_taken(cur, name)
        ):
            cur = TaggedRun()
            runs.append(cur)
        _apply(cur, name)
    tail = raw[pos:]
    if tail.strip():
        if cur is None:
            cur = TaggedRun()
            runs.append(cur)
        cur.text = _join([cur.text, tail])
    runs = [r for r in runs if r.text or r.language or r.emotion or r.events or r.itn is not None]
    return ParsedOutput(runs=runs, raw=raw)


def _slot_taken(run: TaggedRun, name: str) -> bool:
    if name in EMOTIONS or name == "EMO_UNKNOWN":
        return run.emotion is not None
    if name in _ITN:
        return run.itn is not None
    return False


def _apply(run: TaggedRun, name: str) -> None:
    if name in LANGUAGES or name == "nospeech":
        run.language = name
    elif name in EMOTIONS:
        run.emotion = name
    elif name == "EMO_UNKNOWN":
        run.emotion = UNKNOWN_EMOTION
    elif name in EVENT_TOKENS:
        ev = EVENT_TOKENS[name]
        if ev not in run.events:
            run.events.append(ev)
    elif name in _ITN:
        run.itn = _ITN[name]
    elif name in _NON_EVENTS:
        pass
    else:
        run.unknown_tokens.append(name)
