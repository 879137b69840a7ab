"""Trackers (话题追踪): a named concept — the many ways of saying "too expensive" — counted on every
call. One YAML file, ``data/trackers.yaml`` (or the file ``TONEBOARD_TRACKERS`` names)::

    trackers:
      - id: price                      # [a-z0-9_-]
        name: Price objection
        names: {zh: 价格异议}
        phrases: [太贵了, 便宜点, 能不能打折, too expensive, over our budget]
        role: customer                 # optional: who says it (agent, customer, teacher, student, unknown)
        question: false                # optional: only (true) or never (false) in a question
        first_s: 60                    # optional: only in the first (or last_s: the last) N seconds
        variants: true                 # simplified / traditional, full / half width, numbers (default: true)
        sounds_like: false             # also characters that sound the same (pinyin; default: false)

A phrase matches as the transcript search does: Chinese and Japanese anywhere in a segment, other
words as whole words, case and punctuation ignored. A tracker's version is a digest of what it
matches (not its name): another version is counted again on every call.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ingest import DATA_DIR, yaml_file

from .variants import CJK, sound_pattern, variants

TRACKERS_FILE = DATA_DIR / "trackers.yaml"
ROLES = ("agent", "customer", "teacher", "student", "unknown")
MAX_CHARS = 200_000
MAX_PHRASES = 200
MAX_PHRASE_CHARS = 100
_FIELDS = {"id", "name", "names", "phrases", "role", "question", "first_s", "last_s", "variants", "sounds_like"}


class TrackerError(ValueError):
    """An invalid tracker; the message names the tracker and the field."""


def norm(text: str) -> str:
    """The analytics' normalised text (filters.NORM_TEXT_MACRO): lower case, every run of other
    than letters and digits one space, a space at each end."""
    return " " + " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split()) + " "


def needle(text: str) -> str:
    """What a segment's normalised text must contain: Chinese anywhere, other words whole."""
    n = norm(text)
    return n.strip() if CJK.search(text) else n


@dataclass(frozen=True)
class Tracker:
    id: str
    name: str
    phrases: tuple[str, ...]
    names: dict = field(default_factory=dict, compare=False, hash=False)
    role: tuple[str, ...] = ()
    question: bool | None = None
    first_s: float | None = None
    last_s: float | None = None
    use_variants: bool = True
    sounds_like: bool = False

    def label(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.name

    def spellings(self) -> list[str]:
        """Every phrase with its generated variants (``variants``)."""
        out = []
        for p in self.phrases:
            out += variants(p) if self.use_variants else [p]
        return list(dict.fromkeys(out))

    def pattern(self) -> str:
        """A regular expression (RE2 and Python alike) over a segment's normalised text."""
        return self._pattern

    @cached_property
    def _pattern(self) -> str:
        # longest first, then by text: the same pattern (and version) in every process, whatever its hash seed
        alts = sorted({re.escape(needle(s)).replace("\\ ", " ") for s in self.spellings() if needle(s).strip()}, key=lambda a: (-len(a), a))
        if self.sounds_like:
            alts += sorted({p for ph in self.phrases if (p := sound_pattern(needle(ph).strip()))})
        return "|".join(alts)

    @cached_property
    def version(self) -> str:
        what = {"phrases": list(self.phrases), "role": list(self.role), "question": self.question, "first_s": self.first_s,
                "last_s": self.last_s, "variants": self.use_variants, "sounds_like": self.sounds_like, "pattern": self.pattern()}
        return hashlib.sha256(json.dumps(what, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]

    def matches(self, text: str) -> bool:
        """Whether one line of text says it (the words only: role, time and question are the counter's)."""
        return self.regex.search(norm(text)) is not None

    @cached_property
    def regex(self) -> re.Pattern:
        return re.compile(self.pattern())

    def as_dict(self) -> dict:
        d = {"id": self.id, "name": self.name}
        if self.names:
            d["names"] = dict(self.names)
        d["phrases"] = list(self.phrases)
        if self.role:
            d["role"] = self.role[0] if len(self.role) == 1 else list(self.role)
        for k, v in (("question", self.question), ("first_s", self.first_s), ("last_s", self.last_s)):
            if v is not None:
                d[k] = v
        if not self.use_variants:
            d["variants"] = False
        if self.sounds_like:
            d["sounds_like"] = True
        return d


def said_in(segs, trackers: list[Tracker], duration_s: float | None = None) -> list[tuple[Tracker, list[float]]]:
    """The trackers one call's segments (a DataFrame: text, role, start_s[, is_question]) say, each
    with the starts of the lines that say it (the timeline's marks)."""
    out = []
    for t in trackers:
        at = []
        for r in segs.itertuples():
            if not isinstance(r.text, str) or not t.regex.search(norm(r.text)):
                continue
            if (t.role and r.role not in t.role) or (t.first_s is not None and r.start_s >= t.first_s):
                continue
            if t.last_s is not None and duration_s is not None and r.start_s < duration_s - t.last_s:
                continue
            if t.question is not None and bool(getattr(r, "is_question", False)) != t.question:
                continue
            at.append(float(r.start_s))
        if at:
            out.append((t, at))
    return out


def trackers_file() -> Path:
    return Path(os.environ.get("TONEBOARD_TRACKERS") or TRACKERS_FILE)


_CACHE: dict[str, tuple[tuple, list]] = {}


def current_trackers() -> list[Tracker]:
    """``load_trackers()``, read again only when the file changes (rules and forms ask per call)."""
    path = trackers_file()
    try:
        st = path.stat()
        key = (st.st_mtime_ns, st.st_size)
    except OSError:
        return []
    hit = _CACHE.get(str(path))
    if hit and hit[0] == key:
        return hit[1]
    found = load_trackers(path)
    _CACHE[str(path)] = (key, found)
    return found


def load_trackers(source: str | Path | None = None) -> list[Tracker]:
    """The trackers of a YAML file (default: ``trackers_file()``; none if it does not exist) or YAML text."""
    doc, where = yaml_file.read(source, trackers_file(), TrackerError, MAX_CHARS)
    found = [parse_tracker(raw, f"{where}, tracker {i}")
             for i, raw in enumerate(yaml_file.entries(doc, "trackers", where, TrackerError), 1)]
    return yaml_file.unique(found, where, TrackerError, "trackers")


def parse_tracker(raw, where: str = "tracker") -> Tracker:
    tid, name, names, where = yaml_file.head(raw, where, TrackerError, _FIELDS, "a tracker")
    phrases = raw.get("phrases")
    if isinstance(phrases, str):
        phrases = [phrases]
    if not isinstance(phrases, list) or not phrases:
        raise TrackerError(f"{where}: 'phrases' must list at least one phrase")
    if len(phrases) > MAX_PHRASES:
        raise TrackerError(f"{where}: at most {MAX_PHRASES} phrases (this has {len(phrases)})")
    for p in phrases:
        if not isinstance(p, (str, int)) or isinstance(p, bool):
            raise TrackerError(f"{where}: phrases: {p!r} is not a text")
        if len(str(p)) > MAX_PHRASE_CHARS:
            raise TrackerError(f"{where}: phrases: {str(p)[:20]!r}… is longer than {MAX_PHRASE_CHARS} characters")
        if not norm(str(p)).strip():
            raise TrackerError(f"{where}: phrases: {str(p)!r} has no letters or digits")
    role = raw.get("role") or []
    role = [role] if isinstance(role, str) else role
    if not isinstance(role, list) or any(r not in ROLES for r in role):
        raise TrackerError(f"{where}: 'role' must be one or more of {', '.join(ROLES)} (got {raw.get('role')!r})")
    for key in ("question", "variants", "sounds_like"):
        if key in raw and not isinstance(raw[key], bool):
            raise TrackerError(f"{where}: '{key}' must be true or false")
    for key in ("first_s", "last_s"):
        v = raw.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 86_400):
            raise TrackerError(f"{where}: '{key}' must be a number of seconds from 0 to 86400")
    if raw.get("first_s") is not None and raw.get("last_s") is not None:
        raise TrackerError(f"{where}: give first_s or last_s, not both")
    return Tracker(id=tid, name=name, names=names, phrases=tuple(dict.fromkeys(" ".join(str(p).split()) for p in phrases)),
                   role=tuple(role), question=raw.get("question"), first_s=raw.get("first_s"), last_s=raw.get("last_s"),
                   use_variants=raw.get("variants", True), sounds_like=raw.get("sounds_like", False))


def save_trackers(trackers: list[Tracker], path: str | Path | None = None) -> Path:
    """Write the trackers to their file (in one step), once what is written reads back."""
    return yaml_file.write(Path(path) if path else trackers_file(),
                           "# toneboard trackers (format: analytics/talk/trackers.py). Check with: toneboard trackers check",
                           "trackers", [t.as_dict() for t in trackers], load_trackers)


def upsert(tracker: Tracker, path: str | Path | None = None) -> Path:
    """Add the tracker, or replace the one with its id."""
    current = [t for t in load_trackers(Path(path) if path else None) if t.id != tracker.id]
    return save_trackers([*current, tracker], path)


def remove(tracker_id: str, path: str | Path | None = None) -> Path:
    current = load_trackers(Path(path) if path else None)
    if not any(t.id == tracker_id for t in current):
        raise TrackerError(f"no tracker has the id {tracker_id!r}")
    return save_trackers([t for t in current if t.id != tracker_id], path)


def slug(text: str) -> str:
    """An id for a tracker made from a phrase (ASCII letters and digits, else a digest)."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
    return s or "t-" + hashlib.sha256(text.encode()).hexdigest()[:8]
