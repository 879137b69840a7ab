"""Who spoke: speaker embeddings of short windows of speech, clustered into speakers.

Speech spans (from the VAD) are looked at in short overlapping windows (``WINDOW_S`` long, every
``HOP_S``), so a change of speaker inside a span splits it; each window gets a speaker embedding;
the windows are clustered (a known count, or a count estimated from the recording's own embeddings:
``ingest.speakers.count``), and each span is cut where its windows' speaker changes. Speakers are
named S1, S2, … by first appearance.

Two embedding models sit behind one small interface (``SpeakerEncoder``):

- **CAM++** (``iic/speech_campplus_sv_zh-cn_16k-common``), FunASR's own speaker model, loaded
  through the same hub / local-directory path as SenseVoiceSmall. The default.
- **Resemblyzer's voice encoder**, whose trained weights ship in the ``resemblyzer`` wheel
  (Apache-2.0): it works with no model hub at all, and is used, with a warning, when CAM++ cannot
  be loaded. Each recording stores which one was used.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..decode import SAMPLE_RATE
from ..models.speaker_encoders import SpeakerEncoder, normalise
from .count import Count, average_cut, estimate

MAX_SPEAKERS = 10
WINDOW_S = 1.5  # embedding window
HOP_S = 0.75  # a window every HOP_S: a change of speaker is placed within HOP_S / 2
MIN_CLIP_S = 0.4  # shorter speech is given the speaker of the speech nearest in time
MIN_PART_S = 0.8  # a speaker change inside a span must leave parts at least this long


@dataclass
class Window:
    span: int  # index of the speech span the window lies in
    start_s: float
    end_s: float


def windows(spans: list[tuple[float, float]]) -> list[Window]:
    """Overlapping windows over each span (one window for a span up to WINDOW_S; none under MIN_CLIP_S)."""
    out = []
    for i, (b, e) in enumerate(spans):
        if e - b < MIN_CLIP_S:
            continue
        if e - b <= WINDOW_S:
            out.append(Window(i, b, e))
            continue
        n = int(np.ceil((e - b - WINDOW_S) / HOP_S - 1e-9)) + 1
        starts = [b + k * HOP_S for k in range(n - 1)] + [e - WINDOW_S]
        out += [Window(i, s, s + WINDOW_S) for s in starts]
    return out


def parse_speakers(value) -> int | None:
    """``auto`` → None (estimate); ``off`` → 1; 1..MAX_SPEAKERS. ValueError otherwise."""
    v = str(value).strip().lower()
    if v in ("auto", ""):
        return None
    if v in ("off", "none", "no"):
        return 1
    try:
        n = int(v)
    except ValueError:
        raise ValueError(f"speakers must be auto, off or a number from 1 to {MAX_SPEAKERS} (got {value!r})") from None
    if not 1 <= n <= MAX_SPEAKERS:
        raise ValueError(f"speakers must be auto, off or a number from 1 to {MAX_SPEAKERS} (got {n})")
    return n


@dataclass
class Diarized:
    """Speech parts with a speaker each (0-based, by first appearance), and each speaker's centroid."""

    parts: list[tuple[float, float, int]]
    centroids: np.ndarray  # (speakers, dim), L2-normalised
    seconds: list[float]  # speech per speaker
    count: Count  # how many speakers, and why


def diarize(audio: np.ndarray, spans: list[tuple[float, float]], encoder: SpeakerEncoder,
            n_speakers: int | None = None, two_party: bool = False) -> Diarized:
    """Split ``spans`` (seconds, sorted) of the 16 kHz ``audio`` by speaker: into ``n_speakers``,
    or (None) as many as the recording's voices show; ``two_party``: a call between two parties
    (a service call, a sales demo), which stays two speakers unless one voice clearly speaks alone."""
    wins = windows(spans)
    if not wins:
        return Diarized([(b, e, 0) for b, e in spans], np.zeros((0, 1), np.float32), [sum(e - b for b, e in spans)],
                        Count(1, "given" if n_speakers else "little_speech"))
    clips = [audio[int(w.start_s * SAMPLE_RATE):int(w.end_s * SAMPLE_RATE)] for w in wins]
    emb = encoder.embed(clips)
    # a window's weight: the speech it stands for (its hop, or the whole of a short span)
    weights = np.array([min(w.end_s - w.start_s, HOP_S) for w in wins])
    if n_speakers is None:
        labels, count = estimate(emb, weights, MAX_SPEAKERS, two_party, np.array([w.span for w in wins]))
    else:
        labels, count = average_cut(emb, weights, n_speakers), Count(n_speakers, "given")
    parts = _split_spans(spans, wins, labels)
    # speakers numbered by first appearance
    order: dict[int, int] = {}
    for _, _, lab in parts:
        order.setdefault(lab, len(order))
    parts = [(b, e, order[lab]) for b, e, lab in parts]
    k = len(order)
    cents = np.zeros((k, emb.shape[1]), np.float32)
    for lab, new in order.items():
        cents[new] = emb[labels == lab].mean(axis=0)
    seconds = [0.0] * k
    for b, e, s in parts:
        seconds[s] += e - b
    if count.n != k:  # a speaker left with no part of their own (their windows were outvoted)
        count = Count(k, count.reason, count.separation)
    return Diarized(parts, normalise(cents), seconds, count)


def _split_spans(spans, wins: list[Window], labels: np.ndarray) -> list[tuple[float, float, int]]:
    by_span: dict[int, list[tuple[Window, int]]] = {}
    for w, lab in zip(wins, labels):
        by_span.setdefault(w.span, []).append((w, int(lab)))
    labelled: list[tuple[float, float, int] | None] = []
    for i, (b, e) in enumerate(spans):
        ws = by_span.get(i)
        if not ws:
            labelled.append(None)
            continue
        labs = [lab for _, lab in ws]
        if len(labs) >= 3:  # one window unlike both neighbours that agree: noise, not a turn
            labs = [labs[0]] + [labs[j - 1] if labs[j - 1] == labs[j + 1] != labs[j] else labs[j]
                                for j in range(1, len(labs) - 1)] + [labs[-1]]
        cuts, cur_b, cur = [], b, labs[0]
        for j in range(1, len(ws)):
            if labs[j] != cur:
                # the change lies between the two windows' centres
                t = 0.5 * ((ws[j - 1][0].start_s + ws[j - 1][0].end_s) / 2 + (ws[j][0].start_s + ws[j][0].end_s) / 2)
                cuts.append((cur_b, t, cur))
                cur_b, cur = t, labs[j]
        cuts.append((cur_b, e, cur))
        labelled.append(_merge_short(cuts))
    out: list[tuple[float, float, int]] = []
    # very short spans (no window): the speaker of the nearest labelled speech
    anchors = [(p[0], p[1], p[2]) for parts in labelled if parts for p in parts]
    for (b, e), parts in zip(spans, labelled):
        if parts:
            out += parts
        elif anchors:
            mid = (b + e) / 2
            near = min(anchors, key=lambda p: 0 if p[0] <= mid <= p[1] else min(abs(mid - p[0]), abs(mid - p[1])))
            out.append((b, e, near[2]))
        else:
            out.append((b, e, 0))
    return out


def _merge_short(parts: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """Parts shorter than MIN_PART_S join a neighbour (the one before, else after), taking its speaker."""
    parts = list(parts)
    while True:
        joined = [parts[0]]
        for p in parts[1:]:  # neighbours with one speaker are one part
            joined[-1:] = [(joined[-1][0], p[1], p[2])] if p[2] == joined[-1][2] else [joined[-1], p]
        parts = joined
        short = [i for i, p in enumerate(parts) if p[1] - p[0] < MIN_PART_S]
        if len(parts) == 1 or not short:
            return parts
        i = min(short, key=lambda k: parts[k][1] - parts[k][0])
        j = i - 1 if i > 0 else i + 1
        a, b = min(i, j), max(i, j)
        parts[a:b + 1] = [(parts[a][0], parts[b][1], parts[j][2])]
