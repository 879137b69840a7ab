"""Topics found without being asked: what customers (or students) talk about in a period.

Each call is one document — the lines of the customer's side (a call without roles: all its lines)
— cut into words (``words``: jieba for Chinese, stop words of both languages out), weighted by
TF-IDF (words and pairs of adjacent words) and factorised by NMF into 8-20 topics. A call belongs to
its strongest topic. Each topic has its key phrases, its share of calls, how many of them had an
angry customer and how many were won, example moments, and its share week by week; a topic whose
latest week is well above its own previous 4 weeks is *rising* (the home page says so). How many
topics: the number from 8 to 20 whose calls sit best in their topics (``choose_k``: silhouette).

The factorisation starts from a seeded random point (``seed``): two seeds giving the same topics is
what ``stability`` measures (adjusted Rand index of the calls' topics).
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from ..filters import Filter, recording_where
from .words import stop_words, team_stop_words, words

MIN_TOPICS, MAX_TOPICS = 8, 20
MIN_CALLS = 20             # fewer calls than this: no topics (too few to find any)
SIDES = ("customer", "student")
KEY_PHRASES = 6
RISE_POINTS = 0.05         # a rising topic is at least 5 points above its baseline ...
RISE_SD = 2.0              # ... and 2 standard deviations of its weekly shares ...
RISE_Z = 3.0               # ... and more than chance allows: 3 binomial standard errors (one-sided p < 0.0015;
                           # 8-20 topics are judged every week, so 1.96 would cry wolf every few weeks)
BASELINE_WEEKS = 4


@dataclass
class Topic:
    index: int
    phrases: list[str]
    calls: int
    share: float
    angry: float               # share of its calls with an angry customer or student
    won: float | None          # share won of its calls with an outcome (None: none has one)
    with_outcome: int
    example_ids: list[str] = field(default_factory=list)  # its calls closest to it, best first


@dataclass
class TopicRun:
    calls: int
    topics: list[Topic]
    assignment: dict[str, int]  # recording_id -> topic index (-1: none: no word of any topic)
    weekly: pd.DataFrame        # week, topic, calls (of the week), in_topic, share
    rising: list[dict]          # topic, week, share, baseline
    seed: int = 0
    seconds: float = 0.0
    made_at: str = ""

    def to_json(self) -> str:
        return json.dumps({"calls": self.calls, "topics": [asdict(t) for t in self.topics], "rising": self.rising,
                           "seed": self.seed, "seconds": self.seconds, "made_at": self.made_at,
                           "weekly": self.weekly.assign(week=self.weekly["week"].astype(str)).to_dict("records")},
                          ensure_ascii=False, default=str)


def documents(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, sides=SIDES) -> pd.DataFrame:
    """One row per call in the filter: recording_id, recorded_at, outcome, angry, text (the lines of
    ``sides``; a call with none of those roles: every line)."""
    where, params = recording_where(flt)
    side = ", ".join(repr(s) for s in sides if s in SIDES)
    return con.execute(f"""
        WITH s AS (SELECT s.recording_id, s.seg_index, s.text, s.role IN ({side}) AS theirs, s.emotion
                   FROM seg s JOIN recordings r USING (recording_id) WHERE {where}),
        has AS (SELECT recording_id, bool_or(theirs) AS any_theirs FROM s GROUP BY 1)
        SELECT r.recording_id, r.recorded_at, r.outcome,
               coalesce(bool_or(s.theirs AND s.emotion = 'ANGRY'), FALSE) AS angry,
               string_agg(s.text, chr(10) ORDER BY s.seg_index) FILTER (WHERE s.theirs OR NOT h.any_theirs) AS text
        FROM s JOIN has h USING (recording_id) JOIN recordings r USING (recording_id)
        GROUP BY ALL ORDER BY r.recorded_at, r.recording_id""", params).df()


_CLOSED = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # Chinese and Japanese: written without spaces


def _closed(word: str) -> bool:
    return bool(_CLOSED.search(word))


def _analyzer(stop: set[str]):
    """A document's terms: its words, and each pair of words next to each other in a line (a stop
    word between two words breaks the pair)."""
    def analyse(text: str) -> list[str]:
        out: list[str] = []
        for line in re.split(r"[。！？!?.;；\n]+", text or ""):
            ws = words(line, stop, keep_gaps=True)
            out += [w for w in ws if w]
            out += [a + ("" if _closed(a) and _closed(b) else " ") + b for a, b in zip(ws, ws[1:]) if a and b]
        return out
    return analyse


def matrix(texts: list[str], stop: set[str]):
    """The TF-IDF matrix of the documents and its terms (words seen in fewer than 3 calls, or in more
    than half of them, are left out)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    n = len(texts)
    vec = TfidfVectorizer(analyzer=_analyzer(stop), min_df=min(3, max(1, n // 10)), max_df=0.5, sublinear_tf=True,
                          max_features=30_000)
    x = vec.fit_transform(texts)
    return x, vec.get_feature_names_out()


SILHOUETTE_SAMPLE = 2000  # calls the choice of k is judged on (the silhouette is quadratic in them)


def choose_k(x, seed: int = 0) -> tuple[int, dict[int, float]]:
    """The number of topics (8, 10 ... 20) whose calls sit best in their topic: the highest mean
    silhouette (cosine) of the calls' strongest topics, on a sample of at most SILHOUETTE_SAMPLE
    calls. Returns (k, silhouette per k tried)."""
    from sklearn.metrics import silhouette_score
    n = x.shape[0]
    rows = np.random.default_rng(seed).choice(n, size=min(n, SILHOUETTE_SAMPLE), replace=False)
    scores = {}
    for k in range(MIN_TOPICS, MAX_TOPICS + 1, 2):
        if k >= min(n, x.shape[1]):
            break
        label = assign(factorise(x, k, seed)[0])[rows]
        if len(set(label.tolist())) < 2:
            continue
        scores[k] = float(silhouette_score(x[rows], label, metric="cosine", random_state=seed))
    return (max(scores, key=scores.get) if scores else MIN_TOPICS), scores


def factorise(x, k: int, seed: int):
    """NMF of the TF-IDF matrix from a seeded start: (W calls x topics, H topics x terms)."""
    from sklearn.decomposition import NMF
    model = NMF(n_components=k, init="nndsvdar", random_state=seed, max_iter=500, tol=1e-4)
    w = model.fit_transform(x)
    return w, model.components_


def assign(w: np.ndarray) -> np.ndarray:
    """Each call's strongest topic (-1: it has no weight on any)."""
    best = w.argmax(axis=1)
    return np.where(w.max(axis=1) > 1e-9, best, -1)


def key_phrases(terms, weights: np.ndarray, n: int = KEY_PHRASES) -> list[str]:
    """The topic's heaviest terms, a single Chinese character after words of several (一个字 says
    little alone), a word inside a phrase already listed left out."""
    best = [str(terms[j]) for j in np.argsort(-weights)[:4 * n] if weights[j] > 0]
    best = sorted(best, key=lambda w: len(w) == 1 and not w.isascii())  # stable: by weight otherwise
    out: list[str] = []
    for w in best:
        if not any(w in kept for kept in out):
            out = [kept for kept in out if kept not in w] + [w]  # a phrase replaces the words inside it
    return out[:n]


def find(docs: pd.DataFrame, k: int | None = None, seed: int = 0, stop: set[str] | None = None,
         extra_stop=()) -> TopicRun:
    """Topics of the documents (``documents``); ``k`` topics (default: by the number of calls, 8-20)."""
    started = time.perf_counter()
    docs = docs[docs["text"].fillna("").str.strip() != ""].reset_index(drop=True)
    stop = stop if stop is not None else stop_words(list(extra_stop) + team_stop_words())
    empty = TopicRun(calls=len(docs), topics=[], assignment={}, rising=[],
                     weekly=pd.DataFrame(columns=["week", "topic", "calls", "in_topic", "share"]), seed=seed,
                     made_at=datetime.now().isoformat(timespec="seconds"))
    if len(docs) < MIN_CALLS:
        return empty
    x, terms = matrix(docs["text"].tolist(), stop)
    k = min(k or choose_k(x, seed)[0], x.shape[1] - 1, len(docs) - 1)
    if k < 2:
        return empty
    w, h = factorise(x, k, seed)
    label = assign(w)
    order = [t for t, _ in sorted(((t, int((label == t).sum())) for t in range(k)), key=lambda p: (-p[1], p[0])) if _ > 0]
    renumber = {old: new for new, old in enumerate(order)}
    label = np.array([renumber.get(v, -1) for v in label])
    topics = []
    for new, old in enumerate(order):
        mine = docs[label == new]
        with_outcome = mine[mine["outcome"].isin(["won", "lost"])]
        strength = w[label == new, old]
        topics.append(Topic(index=new, phrases=key_phrases(terms, h[old]), calls=len(mine),
                            share=len(mine) / len(docs), angry=float(mine["angry"].mean()) if len(mine) else 0.0,
                            won=float((with_outcome["outcome"] == "won").mean()) if len(with_outcome) else None,
                            with_outcome=len(with_outcome),
                            example_ids=mine["recording_id"].iloc[np.argsort(-strength)[:5]].tolist()))
    assignment = dict(zip(docs["recording_id"], label.tolist()))
    wk = weekly(docs, label)
    return TopicRun(calls=len(docs), topics=topics, assignment=assignment, weekly=wk, rising=rising(wk), seed=seed,
                    seconds=time.perf_counter() - started, made_at=datetime.now().isoformat(timespec="seconds"))


def weekly(docs: pd.DataFrame, label: np.ndarray) -> pd.DataFrame:
    """week (its Monday), topic, calls (that week), in_topic, share."""
    week = pd.to_datetime(docs["recorded_at"]).dt.to_period("W-SUN").dt.start_time
    df = pd.DataFrame({"week": week, "topic": label})
    calls = df.groupby("week").size().rename("calls")
    counts = df[df["topic"] >= 0].groupby(["week", "topic"]).size().unstack(fill_value=0)
    counts = counts.reindex(calls.index, fill_value=0).stack().rename("in_topic").reset_index()
    out = counts.merge(calls.reset_index(), on="week")
    out["share"] = out["in_topic"] / out["calls"]
    return out[["week", "topic", "calls", "in_topic", "share"]].sort_values(["topic", "week"]).reset_index(drop=True)


def rising(wk: pd.DataFrame, min_calls: int = 10) -> list[dict]:
    """Topics whose latest week's share is above their previous ``BASELINE_WEEKS`` weeks' mean by
    RISE_POINTS, RISE_SD of those weeks' shares and RISE_Z binomial standard errors of the latest
    week's share around that mean (a week of fewer than ``min_calls`` calls: not judged)."""
    out = []
    if wk.empty:
        return out
    weeks = sorted(wk["week"].unique())
    if len(weeks) < BASELINE_WEEKS + 1:
        return out
    last, before = weeks[-1], weeks[-1 - BASELINE_WEEKS:-1]
    for topic, d in wk.groupby("topic"):
        now = d[d["week"] == last]
        base = d[d["week"].isin(before)]["share"]
        if now.empty or int(now["calls"].iloc[0]) < min_calls:
            continue
        share, mean, sd = float(now["share"].iloc[0]), float(base.mean()), float(base.std(ddof=0))
        se = np.sqrt(max(mean, 1 / (4 * BASELINE_WEEKS * min_calls)) * (1 - mean) / int(now["calls"].iloc[0]))
        if share >= mean + max(RISE_POINTS, RISE_SD * sd) and share >= mean + RISE_Z * se:
            out.append({"topic": int(topic), "week": str(pd.Timestamp(last).date()), "share": share, "baseline": mean})
    return out


def stability(docs: pd.DataFrame, seeds=(0, 1, 2, 3, 4), k: int | None = None) -> list[float]:
    """Adjusted Rand index of the calls' topics between the first seed's run and each other's."""
    from sklearn.metrics import adjusted_rand_score
    runs = [find(docs, k, seed=s) for s in seeds]
    ids = list(runs[0].assignment)
    first = [runs[0].assignment[i] for i in ids]
    return [float(adjusted_rand_score(first, [r.assignment[i] for i in ids])) for r in runs[1:]]


def examples(con: duckdb.DuckDBPyConnection, topic: Topic, sides=SIDES, limit: int = 5) -> pd.DataFrame:
    """Moments of the topic's example calls that say one of its key phrases (else their first line of
    the customer's side): recording_id, filename, seg_index, start_s, role, text."""
    if not topic.example_ids:
        return pd.DataFrame(columns=["recording_id", "filename", "seg_index", "start_s", "role", "text"])
    side = ", ".join(repr(s) for s in sides if s in SIDES)
    rows = con.execute("""
        SELECT s.recording_id, r.filename, s.seg_index, s.start_s, s.role, s.text
        FROM seg s JOIN recordings r USING (recording_id)
        WHERE s.recording_id IN (SELECT unnest(?::VARCHAR[])) AND coalesce(s.text, '') <> ''
        ORDER BY s.recording_id, s.seg_index""", [topic.example_ids]).df()
    out = []
    keys = [p.replace(" ", "") for p in topic.phrases[:3]]
    for rid in topic.example_ids:
        mine = rows[rows["recording_id"] == rid]
        theirs = mine[mine["role"].isin(sides)] if (mine["role"].isin(sides)).any() else mine
        hit = theirs[theirs["text"].str.lower().str.replace(" ", "").map(lambda t: any(k in t for k in keys))]
        pick = hit if not hit.empty else theirs
        if not pick.empty:
            out.append(pick.iloc[0])
        if len(out) >= limit:
            break
    _ = side
    return pd.DataFrame(out).reset_index(drop=True)


# -- the latest run, kept for the home page's alert --------------------------------------------
DEFAULT_WEEKS = 8
LATEST = "latest.json"


def stamp(con: duckdb.DuckDBPyConnection) -> tuple:
    """What changes when calls are added or removed (a page's cache key for its topics): calls, the newest
    ingest and recording times."""
    return tuple(con.execute("SELECT count(*), max(ingested_at), max(recorded_at) FROM recordings").fetchone())


def period(con: duckdb.DuckDBPyConnection, weeks: int, flt: Filter | None = None) -> Filter:
    """The filter narrowed to the last ``weeks`` whole weeks before the newest call (and its own week)."""
    from dataclasses import replace
    newest = con.execute("SELECT max(recorded_at) FROM recordings").fetchone()[0]
    flt = flt or Filter()
    if newest is None or flt.since is not None:
        return flt
    monday = pd.Timestamp(newest).to_period("W-SUN").start_time
    return replace(flt, since=(monday - pd.Timedelta(weeks=weeks)).to_pydatetime())


def save(store, run: TopicRun) -> None:
    """Keep the run (its topics, weekly shares and rising topics; not which call is in which topic)."""
    folder = store.cache("topics")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{LATEST}.tmp"
    tmp.write_text(run.to_json(), encoding="utf-8")
    tmp.replace(folder / LATEST)


def latest(store) -> dict | None:
    """The last run saved (``save``), or None."""
    path = store.cache("topics") / LATEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def refresh(db, weeks: int = DEFAULT_WEEKS, max_age_h: float = 12.0, force: bool = False) -> TopicRun | None:
    """Find the topics of the last ``weeks`` weeks and save them, unless the saved run is younger than
    ``max_age_h`` hours (``force``: anyway). Returns the new run (None: the saved one stands)."""
    from ..db import Data
    data = Data(db)
    try:
        old = latest(data.store)
        if old and not force and (datetime.now() - datetime.fromisoformat(old["made_at"])).total_seconds() < max_age_h * 3600:
            return None
        run = find(documents(data.con, period(data.con, weeks)))
        save(data.store, run)
        return run
    finally:
        data.con.close()
        data.store.close()
