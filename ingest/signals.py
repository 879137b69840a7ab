"""Derived signals: loudness, speaking rate, the pauses between speech, and where two people talk at once."""
from __future__ import annotations

import bisect
import math
import re

import numpy as np

from .records import Pause, Segment

CJK_CHAR = re.compile(  # Chinese, kana, hangul: text without spaces between words
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+(?:['’][^\W\d_]+)*|\d+")
SILENCE_DBFS = -120.0


def loudness_dbfs(samples: np.ndarray) -> float:
    """RMS level in dBFS (full-scale sine = -3 dBFS); -120 for digital silence."""
    if samples.size == 0:
        return SILENCE_DBFS
    rms = math.sqrt(float(np.mean(np.square(samples, dtype=np.float64))))
    return round(max(SILENCE_DBFS, 20.0 * math.log10(rms)) if rms > 0 else SILENCE_DBFS, 2)


def speaking_rate(text: str, duration_s: float) -> tuple[float | None, str | None]:
    """Characters per second for CJK text (Chinese, Cantonese, Japanese, Korean syllables), words
    per second otherwise; (None, None) without text."""
    if duration_s <= 0 or not text.strip():
        return None, None
    cjk = len(CJK_CHAR.findall(text))
    words = len(_WORD.findall(text))
    if cjk == 0 and words == 0:
        return None, None
    if cjk >= words:
        return round((cjk + words) / duration_s, 3), "chars/s"
    return round(words / duration_s, 3), "words/s"


def find_pauses(segments: list[Segment], threshold_s: float, recording_id: str,
                channel_roles: dict[int, str]) -> list[Pause]:
    """Gaps of at least ``threshold_s`` between speech segments, per channel; on recordings with
    more than one channel also the gaps when nobody speaks (channel -1, role 'all')."""
    pauses: list[Pause] = []
    channels = sorted({s.channel for s in segments} | set(channel_roles))
    for ch in channels:
        segs = sorted((s for s in segments if s.channel == ch), key=lambda s: s.start_s)
        for a, b in zip(segs, segs[1:]):
            if b.start_s - a.end_s >= threshold_s:
                pauses.append(Pause(recording_id=recording_id, channel=ch, role=channel_roles.get(ch, a.role),
                                    start_s=round(a.end_s, 3), end_s=round(b.start_s, 3), after_seg_index=a.seg_index))
    if len(channel_roles) > 1:
        spans = sorted((s.start_s, s.end_s, s.seg_index) for s in segments)
        end, last_idx = None, None
        for b, e, idx in spans:
            if end is not None and b - end >= threshold_s:
                pauses.append(Pause(recording_id=recording_id, channel=-1, role="all", start_s=round(end, 3), end_s=round(b, 3),
                                    after_seg_index=last_idx))
            if end is None or e > end:
                end, last_idx = e, idx
    return pauses


OVERLAP_SHARE = 0.5  # a segment spoken over for at least this share of it is an overlap


def mark_overlap(segments: list[Segment]) -> None:
    """Where two people talk at once, on a recording with a channel per party: each segment's
    seconds during which another channel speaks (``overlap_s``), and whether that is at least half
    of it (``overlap``: a back-channel under the other's turn, both starting at once). Talk share
    counts neither party's overlapped seconds; they are overtalk (analytics.stats). One channel:
    left unknown (None; two voices in one channel are not told apart yet)."""
    by_channel: dict[int, list[Segment]] = {}
    for seg in segments:
        by_channel.setdefault(seg.channel, []).append(seg)
    if len(by_channel) < 2:
        return
    spans = {ch: sorted((x.start_s, x.end_s) for x in segs) for ch, segs in by_channel.items()}
    ends = {ch: [e for _, e in sp] for ch, sp in spans.items()}  # a channel's spans are disjoint: sorted ends too
    for ch, segs in by_channel.items():
        for seg in segs:
            over = 0.0
            for other, theirs in spans.items():
                i = bisect.bisect_right(ends[other], seg.start_s) if other != ch else len(theirs)
                while i < len(theirs) and theirs[i][0] < seg.end_s:
                    over += min(seg.end_s, theirs[i][1]) - max(seg.start_s, theirs[i][0])
                    i += 1
            seg.overlap_s = round(min(over, seg.duration_s), 3)
            seg.overlap = over > 0 and seg.overlap_s >= OVERLAP_SHARE * seg.duration_s
