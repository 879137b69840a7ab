"""Brand names heard right (issue 31): precision, recall and wrong replacements per hour of the
glossary's correction on planted homophone errors of real brand names.

- **Terms**: twelve real Chinese brand and product names and two English ones (the glossary a team would
  write), none with a pinyin or an alias: sound alone.
- **Planted errors**: call lines (``tests/topic_calls.py``, ``benchmarks/qa_scoring.py``'s pools: written
  as calls are spoken) with a brand said in them, the brand's characters replaced by others read the same
  way (toneless pinyin: each drawn from the common characters whose first reading is that syllable, as a
  recogniser writes them); English names split into words. Recall: the planted errors corrected to the
  right term; precision: of all replacements, those that were planted errors put right.
- **Wrong replacements per hour**: the same lines with no brand in them, and sentences of common words
  drawn by their frequency in jieba's dictionary, corrected; every replacement is wrong. An hour of speech
  is taken as 4 Chinese characters a second (14,400 characters); both sets are reported.

    python benchmarks/glossary.py [--lines 4000] [--seed 5]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

BRANDS = ["钉钉", "飞书", "美团", "拼多多", "小鹏汽车", "蔚来", "盒马鲜生", "饿了么", "闲鱼", "得物", "有赞", "企业微信"]
ENGLISH = ["toneboard", "salespilot"]
TEMPLATES = ["我们平时用{b}沟通", "{b}上面的订单还没到", "你们和{b}比有什么优势", "我昨天在{b}下的单", "能不能接入{b}",
             "{b}的客服让我打这个电话", "我们公司刚换成{b}", "请问{b}的会员怎么退", "{b}那边说要三天", "我想问一下{b}的发票"]
EN_TEMPLATES = ["we moved everything to {b} last month", "does it work with {b}", "our team uses {b} every day",
                "the {b} invoice was wrong"]
CHARS_PER_HOUR = 4 * 3600


def lines() -> list[str]:
    """Call lines as they are spoken (the customer's and the agent's, Chinese and English)."""
    from qa_scoring import AGENT_FILL, BYE, CUSTOMER_FILL, ELSE, GREET, NAME, NEXT, VERIFY
    from topic_calls import AGENT, FILLER_CUSTOMER, TOPICS
    out = [x for pool in TOPICS.values() for lang in pool for x in lang] + [x for p in (FILLER_CUSTOMER, AGENT) for lang in p for x in lang]
    return out + GREET + NAME + VERIFY + NEXT + ELSE + BYE + AGENT_FILL + CUSTOMER_FILL


def misheard(term: str, rng: random.Random, table: dict[str, list[str]]) -> str | None:
    """The term with its characters replaced by others read the same (at least one changed)."""
    from ingest.glossary import syllables
    sounds = syllables(term)
    for _ in range(20):
        out = "".join(rng.choice(table.get(s, [c])) if rng.random() < 0.7 else c for c, s in zip(term, sounds))
        if out != term:
            return out
    return None


def sound_table() -> dict[str, list[str]]:
    """Toneless syllable -> the common characters read so first (pypinyin's first reading; jieba's dictionary
    counts the character as a word of its own at least 1,000 times): what a recogniser writes for the sound."""
    from pypinyin.pinyin_dict import pinyin_dict

    from ingest.glossary import _word_freq, toneless
    freq = _word_freq()
    table: dict[str, list[str]] = {}
    for code, readings in pinyin_dict.items():
        c = chr(code)
        if 0x4E00 <= code <= 0x9FFF and freq.get(c, 0) >= 1000:
            table.setdefault(toneless(readings.split(",")[0]), []).append(c)
    return table


def word_salad(n: int, rng: random.Random) -> list[str]:
    """Sentences of 4-9 common words drawn by their frequency in jieba's dictionary."""
    from ingest.glossary import _word_freq
    words = [(w, f) for w, f in _word_freq().items() if f >= 200 and all("\u4e00" <= c <= "\u9fff" for c in w)]
    ws, fs = zip(*words)
    return ["".join(rng.choices(ws, fs, k=rng.randint(4, 9))) for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    from ingest import glossary
    rng = random.Random(a.seed)
    terms = glossary.parse({"terms": BRANDS + ENGLISH})
    table, pool = sound_table(), lines()
    planted, right, replaced, missed = 0, 0, 0, []
    t0 = time.perf_counter()
    for _ in range(a.lines):
        if rng.random() < 0.8:
            b = rng.choice(BRANDS)
            wrong = misheard(b, rng, table)
            if wrong is None:
                continue
            text = rng.choice(TEMPLATES).format(b=wrong)
        else:
            b = rng.choice(ENGLISH)
            cut = rng.randint(3, len(b) - 3)
            wrong = b[:cut] + " " + b[cut:]
            text = rng.choice(EN_TEMPLATES).format(b=wrong)
        planted += 1
        new, fixes = glossary.correct(text, terms)
        replaced += len(fixes)
        ok = [f for f in fixes if f["from"] == wrong and f["to"] == b]
        right += bool(ok)
        if not ok:
            missed.append(f"{wrong}->{b}")
    per_line = (time.perf_counter() - t0) / max(planted, 1)
    print(f"planted errors: {planted:,}; corrected to the right term: {right:,} (recall {right / planted:.1%}); "
          f"replacements {replaced:,}, right {right:,} (precision {right / max(replaced, 1):.1%}); {1000 * per_line:.2f} ms per line")
    print(f"  missed (first 12): {', '.join(missed[:12])}")
    clean = [x for x in pool if not any(b in x for b in BRANDS + ENGLISH)]
    salad = word_salad(a.lines, rng)
    for name, texts in (("call lines with no brand (each once)", sorted(set(clean))), ("common-word sentences", salad)):
        wrong_fixes = [f for x in texts for f in glossary.correct(x, terms)[1]]
        chars = sum(len(x) for x in texts)
        print(f"{name}: {len(texts):,} lines, {chars:,} characters ({chars / CHARS_PER_HOUR:.1f} h of speech): "
              f"{len(wrong_fixes)} wrong replacement(s), {len(wrong_fixes) / (chars / CHARS_PER_HOUR):.2f} per hour"
              + (f" — e.g. {', '.join(sorted({f['from'] + '->' + f['to'] for f in wrong_fixes})[:8])}" if wrong_fixes else ""))


if __name__ == "__main__":
    main()
