"""Brand and product names heard right: SenseVoice has no hotword list, so a company's names come out
as homophones (钉钉 as 丁丁, "toneboard" as "tone board") and every search, rule or tracker for them
misses. A glossary (``data/glossary.yaml``, or the file ``TONEBOARD_GLOSSARY`` names)::

    terms:
      - term: 钉钉
        aliases: [叮叮]            # optional: mis-hearings seen, always replaced
        pinyin: ding ding          # optional: how it is said (default: its characters' usual readings)
      - term: toneboard
        aliases: [tone bored]

``correct`` replaces, in a segment's text, a run of Chinese characters that sounds like a term
(the same toneless pinyin, syllable by syllable) unless that run is itself a common word in jieba's
dictionary (the recogniser heard a real word, not a name), and for other languages a term's
aliases and the term split into words ("tone board", for names of 5 letters or more). What was recognised is kept beside the text
(``Segment.heard_text``) with each change (``glossary_fixes``). Applied at ingest (``heard_fields``:
files and live calls) and to stored calls by ``toneboard glossary apply``.
"""
from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import DATA_DIR, yaml_file

GLOSSARY_FILE = DATA_DIR / "glossary.yaml"
MAX_CHARS = 200_000
MAX_TERMS = 2000
COMMON_WORD = 500    # a run that is a dictionary word at least this frequent is left as heard (jieba's counts)
_HAN = re.compile(r"[\u4e00-\u9fff]+")


class GlossaryError(ValueError):
    """A bad glossary (the message names the term and the field)."""


@dataclass(frozen=True)
class Term:
    term: str
    aliases: tuple[str, ...] = ()
    sounds: tuple[str, ...] = ()  # toneless syllables (Chinese terms)


def toneless(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).replace("ü", "v").lower()


def syllables(run: str) -> list[str]:
    """One toneless pinyin syllable per Chinese character of ``run``, read in context."""
    from pypinyin import Style, lazy_pinyin
    return [toneless(s) for s in lazy_pinyin(run, style=Style.NORMAL, v_to_u=False)]


def parse(doc, where: str = "glossary") -> list[Term]:
    raw_terms = yaml_file.entries(doc, "terms", where, GlossaryError)
    if len(raw_terms) > MAX_TERMS:
        raise GlossaryError(f"{where}: at most {MAX_TERMS} terms (this has {len(raw_terms)})")
    out, seen = [], set()
    for i, raw in enumerate(raw_terms, 1):
        here = f"{where}, term {i}"
        raw = {"term": raw} if isinstance(raw, str) else raw
        if not isinstance(raw, dict) or set(raw) - {"term", "aliases", "pinyin"}:
            raise GlossaryError(f"{here}: a term is a mapping of term, aliases and pinyin")
        term = raw.get("term")
        if not isinstance(term, str) or not term.strip() or len(term) > 50:
            raise GlossaryError(f"{here}: 'term' must be a text of 1-50 characters")
        term = term.strip()
        aliases = raw.get("aliases") or []
        aliases = [aliases] if isinstance(aliases, str) else aliases
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() and len(a) <= 50 for a in aliases):
            raise GlossaryError(f"{here} ({term}): 'aliases' must be a list of texts")
        sounds: tuple[str, ...] = ()
        han = "".join(_HAN.findall(term))
        if raw.get("pinyin") is not None:
            if not isinstance(raw["pinyin"], str) or len(raw["pinyin"].split()) != len(han) or not han:
                raise GlossaryError(f"{here} ({term}): 'pinyin' must give one syllable per Chinese character ({len(han)})")
            sounds = tuple(toneless(s) for s in raw["pinyin"].split())
        elif han and han == term:
            sounds = tuple(syllables(term))
        if term.lower() in seen:
            raise GlossaryError(f"{where}: the term {term!r} is there twice")
        seen.add(term.lower())
        out.append(Term(term=term, aliases=tuple(a.strip() for a in aliases if a.strip() != term), sounds=sounds))
    return out


def load(source: str | Path | None = None) -> list[Term]:
    """The glossary's terms (a YAML file, default ``glossary_file()``: none if it does not exist, or YAML text)."""
    doc, where = yaml_file.read(source, glossary_file(), GlossaryError, MAX_CHARS)
    return parse(doc, where)


def glossary_file() -> Path:
    return Path(os.environ.get("TONEBOARD_GLOSSARY") or GLOSSARY_FILE)


_CACHE: dict[str, tuple[tuple, list[Term]]] = {}


def current() -> list[Term]:
    """``load()``, read again only when the file changes (every segment asks)."""
    path = glossary_file()
    try:
        st = path.stat()
    except OSError:
        return []
    key = (st.st_mtime_ns, st.st_size)
    if str(path) not in _CACHE or _CACHE[str(path)][0] != key:
        _CACHE[str(path)] = (key, load(path))
    return _CACHE[str(path)][1]


@lru_cache(maxsize=1)
def _word_freq() -> dict[str, int]:
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt.FREQ


def _common(word: str) -> bool:
    return _word_freq().get(word, 0) >= COMMON_WORD


def _word_spans(run: str) -> list[tuple[int, int]]:
    """Where jieba's dictionary cuts a run of characters into words (of two characters or more)."""
    import jieba
    _word_freq()
    spans, at = [], 0
    for w in jieba.lcut(run, HMM=False):
        if len(w) > 1:
            spans.append((at, at + len(w)))
        at += len(w)
    return spans


def _cuts_a_word(spans: list[tuple[int, int]], b: int, e: int) -> bool:
    """Whether [b, e) starts or ends inside a dictionary word of the run (a name heard wrong is not
    half of a real word next to it: 的吴 in 我的吴国 is not 得物)."""
    return any(wb < b < we or wb < e < we for wb, we in spans)


def _alias_pattern(alias: str) -> re.Pattern:
    body = r"\s*".join(re.escape(w) for w in alias.split())
    edge = r"(?<![\w])" if alias[:1].isascii() and alias[:1].isalnum() else ""
    tail = r"(?![\w])" if alias[-1:].isascii() and alias[-1:].isalnum() else ""
    return re.compile(edge + body + tail, re.IGNORECASE)


def correct(text: str | None, terms: list[Term] | None = None) -> tuple[str | None, list[dict]]:
    """(the corrected text, the changes: {from, to, at}) — the text unchanged and [] when nothing matched."""
    terms = current() if terms is None else terms
    if not text or not terms:
        return text, []
    fixes: list[dict] = []
    spans: list[tuple[int, int, str]] = []  # (start, end, term): what to replace, never overlapping

    def take(b: int, e: int, term: str) -> None:
        if text[b:e] != term and not any(b < e2 and b2 < e for b2, e2, _ in spans):
            spans.append((b, e, term))
    for t in terms:
        for alias in t.aliases:
            for m in _alias_pattern(alias).finditer(text):
                take(m.start(), m.end(), t.term)
        if not _HAN.search(t.term) and len(t.term) >= MIN_SPLIT and " " not in t.term:
            for m in _split_pattern(t.term).finditer(text):  # the name heard as two or three words
                if " " in m.group():
                    take(m.start(), m.end(), t.term)
    sounded = [t for t in terms if t.sounds]
    if sounded:
        for run in _HAN.finditer(text):
            heard, cut = syllables(run.group()), None
            for t in sounded:
                n = len(t.sounds)
                for i in range(len(heard) - n + 1):
                    window = run.group()[i:i + n]
                    if tuple(heard[i:i + n]) == t.sounds and window != t.term and not _common(window):
                        cut = cut or _word_spans(run.group())
                        if not _cuts_a_word(cut, i, i + n):
                            take(run.start() + i, run.start() + i + n, t.term)
    if not spans:
        return text, []
    out, last = [], 0
    for b, e, term in sorted(spans):
        out.append(text[last:b] + term)
        fixes.append({"from": text[b:e], "to": term, "at": b})
        last = e
    return "".join(out) + text[last:], fixes


MIN_SPLIT = 5  # a name shorter than this is not looked for split into words ("to do" is not "todo")


@lru_cache(maxsize=512)
def _split_pattern(term: str) -> re.Pattern:
    """The term's letters in order with at most one space between any two: the name split into words."""
    return re.compile(r"(?<![\w])" + r" ?".join(re.escape(c) for c in term) + r"(?![\w])", re.IGNORECASE)


def fixed_fields(text: str | None, terms: list[Term] | None = None) -> dict:
    """A segment's text corrected, with what was heard and the changes (Segment's fields)."""
    new, fixes = correct(text, terms)
    return {"text": new, "heard_text": text if fixes else None,
            "glossary_fixes": json.dumps(fixes, ensure_ascii=False) if fixes else None}
