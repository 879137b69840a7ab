"""Personal data in transcripts: Chinese mobile and landline numbers, 18-digit resident ID numbers
(with their check digit), bank-card numbers (Luhn-valid), e-mail addresses. Digits spoken in
Chinese (幺三八…) are turned into digits first, the way ITN would, so a number read out digit by digit
is found too. ``redact`` replaces each find with its kind in brackets: ``[PHONE]`` ``[ID]`` ``[CARD]``
``[EMAIL]``. Ingest stores the redacted text unless told to keep the original (--keep-pii)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .decode import SAMPLE_RATE

KINDS = ("PHONE", "ID", "CARD", "EMAIL")

_CN_DIGITS = {"零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "壹": "1", "二": "2", "两": "2", "贰": "2",
              "三": "3", "叁": "3", "四": "4", "肆": "4", "五": "5", "伍": "5", "六": "6", "陆": "6", "七": "7",
              "柒": "7", "拐": "7", "八": "8", "捌": "8", "九": "9", "玖": "9", "勾": "9"}
_DIGIT = "0-9" + "".join(_CN_DIGITS)
# a run of digits (spoken or written) that may be grouped by spaces, hyphens or dots: 138 1234 5678
_RUN = re.compile(rf"(?<![{_DIGIT}])[{_DIGIT}](?:[ \-.]?[{_DIGIT}Xx]){{5,}}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+\s*(?:@|＠|艾特)\s*[A-Za-z0-9\-]+(?:\s*(?:\.|点)\s*[A-Za-z0-9\-]+)+")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int  # character offsets in the text given
    end: int


def id_number_valid(digits: str) -> bool:
    """An 18-character resident ID number whose last character is its ISO 7064 check digit."""
    if not re.fullmatch(r"\d{17}[\dXx]", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == digits[17].upper()


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _kind(digits: str) -> str | None:
    """What a run of digits is, if it is personal data."""
    n = len(digits)
    if n == 18 and id_number_valid(digits):
        return "ID"
    if not digits.isdigit():
        return None
    if n == 11 and re.fullmatch(r"1[3-9]\d{9}", digits):
        return "PHONE"
    if n == 13 and re.fullmatch(r"861[3-9]\d{9}", digits):
        return "PHONE"
    if 13 <= n <= 19 and luhn_valid(digits):
        return "CARD"
    if 10 <= n <= 12 and re.fullmatch(r"0[1-9]\d{8,10}", digits):  # area code + local number
        return "PHONE"
    return None


def find(text: str) -> list[Finding]:
    """Personal data in ``text``, in order, not overlapping."""
    out = [Finding("EMAIL", m.start(), m.end()) for m in _EMAIL.finditer(text or "")]
    for m in _RUN.finditer(text or ""):
        if any(f.start < m.end() and m.start() < f.end for f in out):
            continue
        digits = "".join(_CN_DIGITS.get(c, c) for c in m.group() if c not in " -.")
        kind = _kind(digits) or _kind(digits.removeprefix("86"))
        if kind:
            out.append(Finding(kind, m.start(), m.end()))
    return sorted(out, key=lambda f: f.start)


def redact(text: str) -> tuple[str, list[str]]:
    """``text`` with each finding replaced by ``[KIND]``; and the kinds found (in order, once each)."""
    found = find(text)
    if not found:
        return text, []
    parts, pos = [], 0
    for f in found:
        parts += [text[pos:f.start], f"[{f.kind}]"]
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts), list(dict.fromkeys(f.kind for f in found))


def silence(samples: np.ndarray, spans: list[tuple[float, float]], offset_s: float = 0.0,
            rate: int = SAMPLE_RATE) -> np.ndarray:
    """``samples`` (channels x time, or time) starting at ``offset_s``, with ``spans`` (seconds of
    the recording) silenced: the one way personal data is muted, for playback and for clips."""
    x = samples.copy()
    for b, e in spans:
        i, j = max(0, int((b - offset_s) * rate)), max(0, int((e - offset_s) * rate))
        x[..., i:j] = 0.0
    return x


def muted_copy(src: Path, spans: list[tuple[float, float]], dest: Path) -> Path:
    """A 16 kHz WAV copy of the audio ``src`` with ``spans`` (seconds) silenced, for playback
    (kept while it is newer than ``src``)."""
    from .decode import decode, write_wav

    if dest.exists() and dest.stat().st_mtime >= src.stat().st_mtime:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part.wav")
    write_wav(tmp, silence(decode(src).samples, spans))
    tmp.replace(dest)
    return dest
