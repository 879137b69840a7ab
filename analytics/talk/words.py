"""Words of a transcript for topic finding: Chinese segmented by ``jieba`` (its dictionary ships
with it), other languages split into words; stop words of both languages left out (the shipped
lists below, and a team's own from ``data/topics.yaml``: ``stop_words: [...]``), with numbers and
single letters. Pure functions: no store, no SQL."""
from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from pathlib import Path

import yaml

from ingest import DATA_DIR

TOPICS_FILE = DATA_DIR / "topics.yaml"
MAX_CHARS = 100_000

# the commonest function words and fillers of calls (not topics whatever the period)
STOP_ZH = set("""
的 了 是 我 你 他 她 它 们 我们 你们 他们 您 这 那 这个 那个 这些 那些 这样 那样 这里 那里 这边 那边 就 都 也 还 又 在 有 没 没有
不 不是 很 太 好 好的 对 对的 嗯 啊 哦 呢 吗 吧 呀 哈 嘛 么 喂 哎 诶 额 呃 就是 然后 所以 因为 但是 可是 而且 或者 还是 如果 的话
一下 一个 一些 一点 一直 已经 可以 能 会 要 想 让 把 被 给 跟 和 与 及 到 从 向 对于 关于 什么 怎么 怎么样 为什么 多少 哪 哪个 哪里
是的 好吧 行 嗯嗯 谢谢 您好 你好 再见 请问 请 麻烦 帮 帮您 帮你 一下子 现在 今天 明天 昨天 时候 知道 觉得 感觉 其实 比较 可能
应该 需要 看 看看 说 讲 问 问题 情况 东西 事情 那么 这么 自己 大家 还有 其他 之类 等等 的话 上 下 里 中 来 去 过 着 得 地 个 些
""".split())
NUMERALS = set("零一二三四五六七八九十百千万两几")
STOP_EN = set("""
a an the and or but if then so because as of to in on at by for with from about into over after before between up down out
is are was were be been being am do does did done have has had having will would shall should can could may might must
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs this that these those
there here what which who whom whose when where why how all any both each few more most other some such no nor not only
own same than too very just also still even yeah yes okay ok oh uh um hmm well like really right sure thanks thank please
hello hi bye goodbye let lets get got going go know think see say said tell told one two three want need make thing things
""".split())


def segmented(text: str) -> list[str]:
    """The words of ``text``, lower case: runs of Chinese characters cut by jieba, other letters
    and digits as they are written (punctuation dropped)."""
    out = []
    for run in re.findall(r"[\u4e00-\u9fff]+|[^\W_]+", text.lower()):
        if "\u4e00" <= run[0] <= "\u9fff":
            out += _jieba().lcut(run, HMM=False)  # the dictionary alone: the same words in every run
        else:
            out.append(run)
    return out


@lru_cache(maxsize=1)
def _jieba():
    import jieba
    jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" lines are not toneboard's output
    jieba.initialize()
    return jieba


def stop_words(extra=()) -> set[str]:
    return STOP_ZH | STOP_EN | {w.lower() for w in extra}


def words(text: str, stop: set[str], keep_gaps: bool = False) -> list[str]:
    """The words of ``text`` that can name a topic: not stop words, not numbers, not one letter
    (``keep_gaps``: each word left out is an empty string, so that neighbours stay neighbours)."""
    out = [w if (w not in stop and not w.isdigit() and not (len(w) == 1 and w.isascii()) and w not in NUMERALS) else ""
           for w in segmented(text)]
    return out if keep_gaps else [w for w in out if w]


def topics_file() -> Path:
    return Path(os.environ.get("TONEBOARD_TOPICS") or TOPICS_FILE)


class TopicsError(ValueError):
    """A bad topics settings file (the message names the field)."""


def team_stop_words(path: str | Path | None = None) -> list[str]:
    """The team's own stop words (``stop_words:`` in data/topics.yaml; none if there is no file)."""
    path = Path(path) if path else topics_file()
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    if len(text) > MAX_CHARS:
        raise TopicsError(f"{path.name}: at most {MAX_CHARS:,} characters")
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise TopicsError(f"{path.name}: not valid YAML: {str(e).splitlines()[0]}") from None
    got = doc.get("stop_words", []) if isinstance(doc, dict) else None
    if not isinstance(got, list) or not all(isinstance(w, str) and 0 < len(w) <= 50 for w in got):
        raise TopicsError(f"{path.name}: 'stop_words' must be a list of words (each 1-50 characters)")
    return got
