"""Which speaker of a mono recording is the agent, the seller or the teacher.

The lead role goes, in this order, to: the speaker named by the manifest (``lead_speaker``); the
speaker whose voice matches an enrolled voiceprint (ingest.speakers.voices); for a class, the speaker who
talks most; otherwise the first speaker to say an opening line (data/openings.yaml: 您好, 请问有什么
可以帮您, thank you for calling, …) within the first 30 s, else whoever speaks first. The lead
speaker gets the first of the role pair (agent, seller, teacher), everybody else the second
(customer, student)."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

from .. import DATA_DIR

DEFAULT_OPENINGS = DATA_DIR / "openings.yaml"
OPENING_WINDOW_S = 30.0
CLASS_ROLES = ("teacher", "student")


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text or "").lower()
    return re.sub(r"[\W_]+", "", t)


def load_openings(path: str | Path | None = None) -> list[str]:
    """Opening phrases of every language, normalised; ValueError for an unusable file."""
    path = Path(path) if path else DEFAULT_OPENINGS
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"openings file {path} not found") from None
    except yaml.YAMLError as e:
        raise ValueError(f"openings file {path} is not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(doc, dict) or not all(isinstance(v, list) for v in doc.values()):
        raise ValueError(f"openings file {path}: give a list of phrases per language, e.g. en: [thank you for calling]")
    return [p for v in doc.values() for p in (_norm(str(x)) for x in v) if p]


def lead_speaker(said: list[tuple[str, float, str]], kind: str, openings: list[str],
                 talk_s: dict[str, float]) -> tuple[str | None, str]:
    """(speaker, why) from ``said``: (speaker, start s, text) in time order."""
    if not said:
        return None, "no speech"
    if kind == "class":
        return max(talk_s, key=lambda s: talk_s[s]), "speaks most"
    for spk, start, text in said:
        if start > OPENING_WINDOW_S:
            break
        t = _norm(text)
        if t and any(p in t for p in openings):
            return spk, "says an opening line"
    return said[0][0], "speaks first"


def role_pair(kind: str, pair: tuple[str, str], default_pair: tuple[str, str]) -> tuple[str, str]:
    """The (lead, others) roles: the pair given, or teacher/student for a class when none was."""
    return CLASS_ROLES if kind == "class" and tuple(pair) == tuple(default_pair) else tuple(pair)
