"""The ways one phrase is written, and what it sounds like.

A tracker's phrase is typed once ("太贵了", "20 percent off") and heard in many spellings:
simplified or traditional Chinese (OpenCC's dictionaries: ``opencc-python-reimplemented``),
full- or half-width letters and digits, numbers as digits or as words (三折 / 3折, "twenty" / 20).
``variants`` lists them; ``sound_pattern`` is a regular expression that matches any characters
pronounced like the phrase's (toneless pinyin from ``pypinyin``'s dictionary), for trackers that
ask to hear homophones (SenseVoice has no hotword list: a brand name comes out as its homophones).
Pure functions: no store, no SQL.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGITS = "零一二三四五六七八九"
_ZH_NUM = re.compile(r"[零〇一二两三四五六七八九十百千万]+")
_ZH_VALUE = {**{c: i for i, c in enumerate(_DIGITS)}, "〇": 0, "两": 2}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_WORD = {**{w: i for i, w in enumerate(_ONES)}, **{w: 10 * i for i, w in enumerate(_TENS) if i > 1}}
_EN_NUM = re.compile(r"\b(?:(?:" + "|".join(sorted(_EN_WORD, key=len, reverse=True)) + r"|hundred|thousand)[\s-]*)+\b",
                     re.IGNORECASE)
MAX_NUMBER = 99_999_999


def zh_number(n: int) -> str:
    """12 -> 十二, 105 -> 一百零五, 30000 -> 三万 (up to 99,999,999)."""
    if n < 0 or n > MAX_NUMBER:
        raise ValueError(f"{n} is out of range")
    if n < 10:
        return _DIGITS[n]
    if n >= 10_000:
        high, low = divmod(n, 10_000)
        return zh_number(high) + "万" + (("零" if low < 1000 else "") + zh_number(low) if low else "")
    out, zero = "", False
    for unit, char in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, unit)
        if d:
            out += ("零" if zero and out else "") + ("" if (unit == 10 and d == 1 and not out) else _DIGITS[d]) + char
            zero = False
        elif out:
            zero = True
    return out


def parse_zh_number(text: str) -> int | None:
    """三 -> 3, 十二 -> 12, 一百零五 -> 105, 两万 -> 20000; None where it is not one number."""
    if not text or not _ZH_NUM.fullmatch(text):
        return None
    if all(c in _ZH_VALUE for c in text):  # read digit by digit: 一九九八 -> 1998
        return int("".join(str(_ZH_VALUE[c]) for c in text))
    total, section, digit = 0, 0, None
    for c in text:
        if c in _ZH_VALUE:
            if digit is not None and c != "零":
                return None  # two digits in a row inside a number with units
            digit = _ZH_VALUE[c] or None
        elif c in _ZH_UNIT:
            section += (1 if digit is None else digit) * _ZH_UNIT[c]
            digit = None
        else:  # 万
            total, section, digit = (total + section + (digit or 0)) * 10_000, 0, None
    return total + section + (digit or 0)


def en_number(n: int) -> str:
    """21 -> twenty-one, 350 -> three hundred fifty (up to 999,999)."""
    if n < 0 or n > 999_999:
        raise ValueError(f"{n} is out of range")
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + (f"-{_ONES[o]}" if o else "")
    if n < 1000:
        h, r = divmod(n, 100)
        return f"{_ONES[h]} hundred" + (f" {en_number(r)}" if r else "")
    k, r = divmod(n, 1000)
    return f"{en_number(k)} thousand" + (f" {en_number(r)}" if r else "")


def parse_en_number(text: str) -> int | None:
    """"twenty-one" -> 21, "three hundred fifty" -> 350; None where it is not a number."""
    words = [w for w in re.split(r"[\s-]+", text.lower().strip()) if w and w != "and"]
    if not words:
        return None
    total, current = 0, 0
    for w in words:
        if w in _EN_WORD:
            current += _EN_WORD[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total, current = (total + max(current, 1)) * 1000, 0
        else:
            return None
    return total + current


def half_width(text: str) -> str:
    """Full-width letters, digits and signs as their ASCII forms (ＡＢＣ１２ -> ABC12)."""
    return "".join(unicodedata.normalize("NFKC", c) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in text)


def full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms (ABC12 -> ＡＢＣ１２)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


@lru_cache(maxsize=4)
def _converter(config: str):
    from opencc import OpenCC  # its dictionaries load in ~30 ms: only where a tracker asks
    return OpenCC(config)


def scripts(text: str) -> list[str]:
    """The phrase in simplified and traditional characters (mainland, Taiwan, Hong Kong)."""
    if not CJK.search(text):
        return [text]
    return list(dict.fromkeys(_converter(c).convert(text) for c in ("t2s", "s2t", "s2tw", "s2hk")))


def numbers(text: str) -> list[str]:
    """The phrase with its numbers written the other way: digits as words (Chinese words beside
    Chinese, English beside letters) and words as digits."""
    out = []
    cjk = bool(CJK.search(text))

    def digits_as_words(m: re.Match) -> str:
        n = int(m.group())
        return zh_number(n) if cjk else en_number(n)
    if re.search(r"\d", text) and all(int(d) <= (MAX_NUMBER if cjk else 999_999) for d in re.findall(r"\d+", text)):
        out.append(re.sub(r"\d+", digits_as_words, text))
    if cjk and _ZH_NUM.search(text):
        out.append(_ZH_NUM.sub(lambda m: str(v) if (v := parse_zh_number(m.group())) is not None else m.group(), text))
    if not cjk and _EN_NUM.search(text):
        def words_as_digits(m: re.Match) -> str:
            v = parse_en_number(m.group())
            return m.group() if v is None else str(v) + (" " if m.group()[-1:].isspace() else "")
        out.append(_EN_NUM.sub(words_as_digits, text))
    return [t for t in out if t != text]


def variants(phrase: str, numbers_too: bool = True) -> list[str]:
    """Every spelling of ``phrase`` a transcript may hold, the phrase first (no duplicates)."""
    phrase = " ".join(phrase.split())
    found = [phrase]
    for base in [phrase, half_width(phrase)] + (numbers(half_width(phrase)) if numbers_too else []):
        for s in scripts(base):
            found += [s, full_width(s)]
    return list(dict.fromkeys(f for f in found if f.strip()))


# -- what it sounds like ------------------------------------------------------------------------
@lru_cache(maxsize=1)
def homophones() -> dict[str, str]:
    """Toneless pinyin -> every CJK character that can be read so (pypinyin's dictionary)."""
    from pypinyin.pinyin_dict import pinyin_dict
    by_sound: dict[str, set[str]] = {}
    for code, readings in pinyin_dict.items():
        if not (0x4E00 <= code <= 0x9FFF):  # the common block: rare extensions only bloat the classes
            continue
        for r in readings.split(","):
            by_sound.setdefault(toneless(r), set()).add(chr(code))
    return {s: "".join(sorted(cs)) for s, cs in by_sound.items()}


def toneless(syllable: str) -> str:
    base = unicodedata.normalize("NFKD", syllable)
    return "".join(c for c in base if not unicodedata.combining(c)).replace("ü", "v").lower()


def sounds(text: str) -> list[str]:
    """The phrase's syllables without tones, read in context (重要 -> zhong yao); other characters
    are kept as they are (one item per run of them)."""
    from pypinyin import Style, lazy_pinyin
    return [toneless(s) for s in lazy_pinyin(text, style=Style.NORMAL, v_to_u=False, errors="default")]


def sound_pattern(phrase: str) -> str | None:
    """A regular expression matching the phrase's Chinese characters by sound: each character a
    class of every character read like it (钉钉 -> [丁钉顶鼎...][丁钉...]). None: nothing Chinese in
    it. Other characters must match themselves."""
    if not CJK.search(phrase):
        return None
    table, parts = homophones(), []
    for chunk in re.findall(r"[\u4e00-\u9fff]+|[^\u4e00-\u9fff]+", phrase):
        if CJK.fullmatch(chunk[0]) and 0x4E00 <= ord(chunk[0]) <= 0x9FFF:
            for char, syl in zip(chunk, sounds(chunk)):
                parts.append("[" + table.get(syl, char) + "]")
        else:
            parts.append(re.escape(chunk.lower()).replace("\\ ", " "))
    return "".join(parts)
