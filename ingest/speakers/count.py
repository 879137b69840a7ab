"""How many speakers: criteria relative to the recording's own embeddings, not one absolute
similarity threshold.

Two people on one phone line, or in one room, are far more alike to a speaker encoder than two
recordings made different ways: the absolute similarity between their windows says more about the
channel than about the people. What holds on every channel is *relative*:

- **Is there a second voice?** The windows are split in two (two ways: Ward linkage refined by
  spherical k-means, which favours halves; average linkage, which finds a small group such as a
  customer who says little) and each split's **separation** is measured: the cosine distance
  between the two groups' centroids over the mean distance of a window to its own group's centroid.
  One voice split in two gives halves close together for their spread (0.32-0.80 on 60 calibration
  recordings, two more at 1.01 and 1.10); two or three voices 0.72-3.20 on 253, but for four under
  that (a customer who says little: 0.42, 0.72; two women on one line: 0.77, 0.79). Separation alone
  cannot tell those apart, so a second measure joins it: **mixing** — how often the two groups
  follow each other *inside* an unbroken stretch of speech. Two people change (almost) only where a
  turn starts (mixing 0-0.25 on 172 of 180 two- and three-voice recordings; customers who say little
  up to 0.57); one voice split in two alternates within its own speech (0.18-1.5 on 90; 0.27 and up
  but for six). Of the two splits, the one that decides is the better separated of those that show
  a second voice (Ward's halves may be further apart yet alternate inside turns where average
  linkage's small group, a customer who says little, does not). A split counts (``second_voice``)
  when its smaller group holds at least
  ``MIN_SHARE`` of the speech (and ``MIN_VOICE_S``) and its separation reaches
  ``CLEAR_SEPARATION``; or reaches ``FIRST_SEPARATION`` (``TWO_PARTY_SEPARATION`` for kinds with
  two known parties, service calls and sales demos, which start from two speakers and fall back to
  one only on clear evidence of one voice) with mixing at most ``FIRST_MIXING`` (``TWO_PARTY_MIXING``);
  or reaches ``CLOSE_SEPARATION`` (two close voices) with mixing at most ``CLOSE_MIXING``. On the
  calibration recordings (seeds below 1000) this misses 2 of 120 second voices (customers who say
  little, whose best split is not the speaker split: separation 0.42 and 0.55) and splits none of 60
  single voices, where separation alone missed 3 and split 1; as service calls, with 60 more
  customers who say little and 30 more single voices, it misses 4 of 80 such customers and splits 4
  of 90 single voices, where separation alone missed the same 4 and split 9.
- **A third voice, and more?** Each further split is taken while the **dispersion ratio**
  r_k = W_k / W_(k-1) stays at or under ``NEXT_SPLIT`` (W_k: the speech-weighted distance of the
  windows to their group's centroid, summed, with k groups): the share of the spread left after
  one more split; every group keeps ``MIN_VOICE_S`` of speech; and no two groups take turns inside
  unbroken stretches of speech (``mixing`` at most ``MAX_MIXING``). A third voice: r_3 0.74-0.91,
  mixing under 0.08; a split of one voice: r_3 from 0.853, mixing 0.12 and up (a voice recorded in
  several sessions, or one recording repeated, splits into tight groups that alternate within a turn).
- With less than ``MIN_WINDOWS`` windows of speech the count is one ("little speech").

The values were chosen on conversations of two women's real voices (and of a man's and a woman's,
and of three voices) recorded the same way (Asterisk's IVR speakers, one GSM line, the same
loudness, back-channels and overlap: tests/samechain.py, seeds below 1000), on one-voice
recordings through the same chain, and on the voices recorded different ways of tests/realspeech.py
(seeds 0-39); BENCHMARKS.md ("Who spoke on one line") gives the figures on
other seeds. Both criteria are ratios of the recording's own distances, not values on one encoder's
scale, so CAM++ uses them too: no absolute number read off an uncalibrated model decides its count.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models.speaker_encoders import normalise

CLEAR_SEPARATION = 1.2  # a second voice, whatever else
FIRST_SEPARATION = 0.85  # a second voice (classes, other kinds) ...
TWO_PARTY_SEPARATION = 0.75  # (on a service call or sales demo) ...
FIRST_MIXING = 0.25  # ... whose two groups alternate inside stretches of speech at most this
TWO_PARTY_MIXING = 0.30  # (on a service call or sales demo: a customer who says little mixes more)
CLOSE_SEPARATION = 0.65  # or two close voices ...
CLOSE_MIXING = 0.15  # ... that change (almost) only where a turn starts
MIN_SHARE = 0.10  # the smaller group of a first split holds at least this share of the speech
MIN_VOICE_S = 4.0  # and every speaker found at least this much (a few short windows say little)
NEXT_SPLIT = 0.91  # each further split: the share of the spread it leaves
MAX_MIXING = 0.10  # and how often two of its groups follow each other inside one stretch of speech
MIN_WINDOWS = 6  # about 5 s of speech
MIN_SPEAKER_SHARE = 0.04  # a group with less speech than this share (and < 3 s) is not a speaker

REASONS = {
    "given": "the count was given",
    "voices": "clearly different voices",
    "one_voice": "one voice throughout",
    "two_party": "a call between two parties; no clear evidence of only one voice",
    "little_speech": "too little speech to tell voices apart",
}


@dataclass(frozen=True)
class Count:
    """How many speakers, and why: ``reason`` is a key of REASONS; ``separation``: that of the best
    split in two (None when not measured)."""

    n: int
    reason: str
    separation: float | None = None

    def sentence(self) -> str:
        return f"{self.n} speaker{'s' if self.n != 1 else ''}: {REASONS[self.reason]}"


def dispersion(emb: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> float:
    """Speech-weighted cosine distance of each window to its group's centroid, summed."""
    total = 0.0
    for c in np.unique(labels):
        m = labels == c
        cent = normalise(emb[m].mean(axis=0, keepdims=True))[0]
        total += float(weights[m] @ (1.0 - emb[m] @ cent))
    return total


def separation(emb: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> float:
    """Two groups' separation: the cosine distance between their centroids over the mean (of the
    two groups) speech-weighted distance of a window to its own group's centroid."""
    cents, spread = [], []
    for c in (0, 1):
        m = labels == c
        cent = normalise((weights[m, None] * emb[m]).sum(axis=0, keepdims=True))[0]
        cents.append(cent)
        spread.append(float(weights[m] @ (1.0 - emb[m] @ cent)) / max(float(weights[m].sum()), 1e-9))
    return (1.0 - float(cents[0] @ cents[1])) / max(float(np.mean(spread)), 1e-6)


def ward(emb: np.ndarray) -> np.ndarray:
    """The Ward linkage tree of the windows (built once, cut at every k)."""
    from scipy.cluster.hierarchy import linkage

    return linkage(emb.astype(np.float64), method="ward")


def partition(emb: np.ndarray, weights: np.ndarray, k: int, rounds: int = 10, tree: np.ndarray | None = None) -> np.ndarray:
    """Labels 0..k-1 for L2-normalised ``emb``: Ward linkage (``tree``, else built) cut at k
    groups, then spherical k-means (speech-weighted centroids) until no window moves."""
    from scipy.cluster.hierarchy import fcluster

    n = len(emb)
    if k <= 1 or n <= 1:
        return np.zeros(n, int)
    k = min(k, n)
    labels = fcluster(ward(emb) if tree is None else tree, t=k, criterion="maxclust") - 1
    for _ in range(rounds):
        ids = np.unique(labels)
        cents = normalise(np.stack([(weights[labels == c, None] * emb[labels == c]).sum(axis=0) for c in ids]))
        new = ids[np.argmax(emb @ cents.T, axis=1)]
        if np.array_equal(new, labels):
            break
        labels = new
    return np.unique(labels, return_inverse=True)[1]


def absorb_small(emb: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Groups with little speech (an odd window: a cough, music, two voices at once) are not
    speakers: their windows join the group whose centroid is nearest."""
    labels = labels.copy()
    total = float(weights.sum()) or 1.0
    while True:
        ids = np.unique(labels)
        if len(ids) <= 1:
            break
        sizes = {c: float(weights[labels == c].sum()) for c in ids}
        small = [c for c in ids if sizes[c] < min(3.0, MIN_SPEAKER_SHARE * total) or sizes[c] < 0.02 * total]
        if not small:
            break
        c = min(small, key=lambda g: sizes[g])
        others = [g for g in ids if g != c]
        cents = normalise(np.stack([emb[labels == g].mean(axis=0) for g in others]))
        for i in np.flatnonzero(labels == c):
            labels[i] = others[int(np.argmax(cents @ emb[i]))]
    return np.unique(labels, return_inverse=True)[1]


def average_cut(emb: np.ndarray, weights: np.ndarray, n_speakers: int) -> np.ndarray:
    """Labels 0..k-1 in a known count: average linkage on cosine distance, cut at ``n_speakers``
    groups (more while odd windows, absorbed, take up the places; then the most alike merged)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(emb)
    if n <= 1 or n_speakers <= 1:
        return np.zeros(n, int)
    z = linkage(emb.astype(np.float64), method="average", metric="cosine")
    best = None
    for k in range(min(n_speakers, n), min(n, n_speakers + 6) + 1):
        labels = absorb_small(emb, weights, fcluster(z, t=k, criterion="maxclust") - 1)
        if best is None or len(np.unique(labels)) > len(np.unique(best)):
            best = labels
        if len(np.unique(labels)) >= n_speakers:
            break
    while len(np.unique(best)) > n_speakers:  # the two speakers most alike are one
        ids = np.unique(best)
        cents = normalise(np.stack([emb[best == g].mean(axis=0) for g in ids]))
        sim = cents @ cents.T - 2 * np.eye(len(ids))
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        best[best == ids[b]] = ids[a]
    return np.unique(best, return_inverse=True)[1]


def splits(emb: np.ndarray, weights: np.ndarray, tree: np.ndarray | None = None) -> list[tuple[float, np.ndarray]]:
    """The two splits in two (Ward + k-means; average linkage) whose smaller group holds at least
    MIN_SHARE of the speech and MIN_VOICE_S: (separation, labels) each, the better separated first."""
    out = []
    least = max(MIN_SHARE * float(weights.sum()), MIN_VOICE_S)
    for labels in (partition(emb, weights, 2, tree=tree), average_cut(emb, weights, 2)):
        if labels.max() != 1 or min(float(weights[labels == c].sum()) for c in (0, 1)) < least:
            continue
        out.append((separation(emb, weights, labels), labels))
    return sorted(out, key=lambda x: -x[0])


def best_split(emb: np.ndarray, weights: np.ndarray, spans: np.ndarray, two_party: bool = False,
               tree: np.ndarray | None = None) -> tuple[float, float, np.ndarray | None, bool]:
    """The split in two that decides: the better separated of those that show a second voice
    (``second_voice``), else the better separated of all: (separation, mixing, labels, whether it
    shows a second voice); (0, 1, None, False) when no split keeps enough speech on each side.
    Either split may be the one that finds a customer who says little: Ward's halves can be
    further apart yet alternate inside a turn, where average linkage's smaller group does not."""
    found = [(sep, mixing(labels, spans), labels) for sep, labels in splits(emb, weights, tree)]
    for sep, mix, labels in found:
        if second_voice(sep, mix, two_party):
            return sep, mix, labels, True
    if found:
        return *found[0], False
    return 0.0, 1.0, None, False


def mixing(labels: np.ndarray, spans: np.ndarray) -> float:
    """How much two groups take turns *inside* stretches of unbroken speech: for each pair, the
    windows next to each other in one span (``spans``: each window's span) with one label each,
    over the smaller group's windows; the largest. One voice split in two (its recordings, its moods)
    alternates within a stretch; two people change within one only where a turn starts."""
    same = spans[1:] == spans[:-1]
    a, b = labels[:-1][same], labels[1:][same]
    counts = np.bincount(labels)
    worst = 0.0
    for x, y in zip(*np.triu_indices(len(counts), 1)):
        t = int(np.sum(((a == x) & (b == y)) | ((a == y) & (b == x))))
        worst = max(worst, t / max(int(min(counts[x], counts[y])), 1))
    return worst


def estimate(emb: np.ndarray, weights: np.ndarray, max_k: int, two_party: bool = False,
             spans: np.ndarray | None = None) -> tuple[np.ndarray, Count]:
    """Labels for the windows (``emb`` L2-normalised, ``weights`` seconds of speech per window,
    ``spans`` the speech span each lies in, in time order) and the count with its reason."""
    n = len(emb)
    if n < MIN_WINDOWS:
        return np.zeros(n, int), Count(1, "little_speech")
    tree = ward(emb)
    spans = np.arange(n) if spans is None else np.asarray(spans)
    sep, mix, split, two = best_split(emb, weights, spans, two_party, tree)
    sep_shown = round(sep, 3) if split is not None else None
    if not two:
        return np.zeros(n, int), Count(1, "one_voice", sep_shown)
    labels, k = split, 2
    spread = dispersion(emb, weights, partition(emb, weights, 2, tree=tree))
    while k < min(max_k, n):  # one more voice while the next split is taken
        more = partition(emb, weights, k + 1, tree=tree)
        if len(np.unique(more)) <= k:
            break
        left = dispersion(emb, weights, more)
        if (left > NEXT_SPLIT * spread or _smallest(weights, more) < MIN_VOICE_S
                or mixing(more, spans) > MAX_MIXING):
            break
        labels, spread, k = more, left, k + 1
    labels = absorb_small(emb, weights, labels)
    found = int(labels.max()) + 1
    if found == 1:
        return labels, Count(1, "one_voice", sep_shown)
    alone = two_party and found == 2 and not best_split(emb, weights, spans, False, tree)[3]
    reason = "two_party" if alone else "voices"
    return labels, Count(found, reason, sep_shown)


def second_voice(sep: float, mix: float, two_party: bool) -> bool:
    """Whether the best split in two is two voices: clearly separated (``CLEAR_SEPARATION``: no
    recording of one voice came near), or well separated (``FIRST_SEPARATION``, or
    ``TWO_PARTY_SEPARATION`` on a call between two parties) with groups that seldom alternate
    inside a stretch of speech (``FIRST_MIXING``), or less separated but changing only where a turn
    starts (``CLOSE_SEPARATION``, ``CLOSE_MIXING``: two similar voices on one line)."""
    first, most = (TWO_PARTY_SEPARATION, TWO_PARTY_MIXING) if two_party else (FIRST_SEPARATION, FIRST_MIXING)
    return (sep >= CLEAR_SEPARATION or (sep >= first and mix <= most)
            or (sep >= CLOSE_SEPARATION and mix <= CLOSE_MIXING))


def _smallest(weights: np.ndarray, labels: np.ndarray) -> float:
    return min(float(weights[labels == c].sum()) for c in np.unique(labels))


def stored_count(counts: list[Count]) -> dict:
    """The recording's columns for how its speakers were counted (the diarized channel's count;
    none diarized: NULLs)."""
    if not counts:
        return {"speaker_count_reason": None, "speaker_separation": None}
    return {"speaker_count_reason": counts[0].reason, "speaker_separation": counts[0].separation}
