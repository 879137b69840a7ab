"""Who is speaking in a live mono call, segment by segment, while it goes on.

A mono call has both parties on one channel, and the whole-call clustering of ``ingest.speakers.diarize``
needs the whole call. Online, each closed segment is compared with the enrolled voiceprint(s) of
the agent (``ingest.speakers.voices``): close enough, it is the agent's; clearly not, it is the other
party's; in between, or too short to tell, it stays ``mixed`` (as every mono segment was before).
Without an enrolled voice for the call, nothing is attributed.

Thresholds for the voice encoder were measured per segment on real speech from Debian packages, the
hardest being women's voices recorded the same way (``benchmarks/diarization.py``, BENCHMARKS.md
"Live mono calls"): a segment is the agent's at 0.90 and up, the other party's below 0.80. CAM++'s
are not calibrated here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..decode import SAMPLE_RATE
from ..store.voiceprints import Voiceprint
from .diarize import windows
from .voices import MATCH_THRESHOLD, closest

# below this: not the agent. Voice encoder, per segment on the same-line voices (seeds below 1000):
# the agent's own segments 0.81 and up (1st percentile), another woman's up to 0.89
OTHER_BELOW = {"voice-encoder": 0.80, "campplus": 0.35}
MIN_SEGMENT_S = 1.0  # shorter segments are not attributed (an embedding of them is noise)


@dataclass
class Attribution:
    role: str
    name: str | None = None  # the matched voice
    similarity: float | None = None  # to the closest of the agent's voices


class OnlineAttributor:
    """Attributes single segments of a mono call to the agent (an enrolled voice) or the other party."""

    def __init__(self, encoder, voices: list[Voiceprint], roles: tuple[str, str], mixed: str = "mixed"):
        self.encoder, self.roles, self.mixed = encoder, roles, mixed
        self.voices = [v for v in voices if v.kind == encoder.kind]
        if not self.voices:
            raise ValueError(f"no voiceprint of the {encoder.kind} speaker model is enrolled")
        self.at = MATCH_THRESHOLD.get(encoder.kind, 0.8)
        self.below = OTHER_BELOW.get(encoder.kind, self.at - 0.1)

    @classmethod
    def for_call(cls, encoder, voices: list[Voiceprint], roles: tuple[str, str],
                 agent: str | None = None) -> OnlineAttributor | None:
        """The call's attributor: the named agent's voice when it is enrolled, else every enrolled
        voice (they are the team's); None when no voice of this speaker model is enrolled."""
        mine = [v for v in voices if v.kind == encoder.kind]
        named = [v for v in mine if agent and v.name == agent]
        return cls(encoder, named or mine, roles) if mine else None

    def attribute(self, audio: np.ndarray) -> Attribution:
        """The role of one segment (16 kHz mono float audio)."""
        seconds = len(audio) / SAMPLE_RATE
        if seconds < MIN_SEGMENT_S:
            return Attribution(self.mixed)
        clips = [audio[int(w.start_s * SAMPLE_RATE):int(w.end_s * SAMPLE_RATE)] for w in windows([(0.0, seconds)])]
        best, sim = closest(self.encoder.embed(clips).mean(axis=0), self.voices)
        if best is None:
            return Attribution(self.mixed)
        if sim >= self.at:
            return Attribution(self.roles[0], best.name, sim)
        if sim < self.below:
            return Attribution(self.roles[1], None, sim)
        return Attribution(self.mixed, None, sim)
