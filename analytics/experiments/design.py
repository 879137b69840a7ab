"""Saved experiments, one YAML file (``data/experiments.yaml``, or the file ``TONEBOARD_EXPERIMENTS``
names)::

    experiments:
      - id: new-demo-script           # [a-z0-9_-]
        name: New demo script
        change: 2026-11-09            # the day the change began (calls from then on are "after")
        pilot: {team: [Shenzhen]}     # optional: metadata key -> values; or pilot_tracker: <id> (calls that say it)
        outcome: won                  # won | angry | talk_share | qa:<form id> | tracker:<tracker id>
        kinds: [sales]                # optional: the kinds of call it is about
        weeks: 4                      # the weeks before and after the change compared (1-26)

Without a pilot, the answer is before against after for every call (nothing to compare with).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ingest import DATA_DIR, yaml_file
from ingest.records import KINDS

EXPERIMENTS_FILE = DATA_DIR / "experiments.yaml"
OUTCOMES = ("won", "angry", "talk_share")  # and qa:<form>, tracker:<id>
MAX_CHARS = 100_000
_FIELDS = {"id", "name", "names", "change", "pilot", "pilot_tracker", "outcome", "kinds", "weeks"}


class ExperimentError(ValueError):
    """An invalid experiment (the message names it and the field)."""


@dataclass(frozen=True)
class Experiment:
    id: str
    name: str
    change: date
    outcome: str
    pilot: dict = field(default_factory=dict, compare=False, hash=False)   # metadata key -> values
    pilot_tracker: str | None = None
    kinds: tuple[str, ...] = ()
    weeks: int = 4
    names: dict = field(default_factory=dict, compare=False, hash=False)

    def label(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.name

    @property
    def has_pilot(self) -> bool:
        return bool(self.pilot or self.pilot_tracker)

    def as_dict(self) -> dict:
        d = {"id": self.id, "name": self.name}
        if self.names:
            d["names"] = dict(self.names)
        d["change"] = self.change.isoformat()
        if self.pilot:
            d["pilot"] = {k: list(v) for k, v in self.pilot.items()}
        if self.pilot_tracker:
            d["pilot_tracker"] = self.pilot_tracker
        d["outcome"] = self.outcome
        if self.kinds:
            d["kinds"] = list(self.kinds)
        d["weeks"] = self.weeks
        return d


def experiments_file() -> Path:
    return Path(os.environ.get("TONEBOARD_EXPERIMENTS") or EXPERIMENTS_FILE)


def parse(raw, where: str = "experiment") -> Experiment:
    eid, name, names, where = yaml_file.head(raw, where, ExperimentError, _FIELDS, "an experiment")
    change = raw.get("change")
    if isinstance(change, datetime):
        change = change.date()
    if isinstance(change, str):
        try:
            change = date.fromisoformat(change.strip())
        except ValueError:
            change = None
    if not isinstance(change, date):
        raise ExperimentError(f"{where}: 'change' must be a date (YYYY-MM-DD), the day the change began")
    outcome = raw.get("outcome")
    if not isinstance(outcome, str) or not (outcome in OUTCOMES or re.fullmatch(r"(qa|tracker):[a-z0-9][a-z0-9_-]{0,63}", outcome)):
        raise ExperimentError(f"{where}: 'outcome' must be one of {', '.join(OUTCOMES)}, qa:<form id> or tracker:<tracker id> "
                              f"(got {outcome!r})")
    pilot = raw.get("pilot") or {}
    if not isinstance(pilot, dict) or not all(isinstance(k, str) and re.fullmatch(r"[A-Za-z_][\w.-]{0,39}", k) for k in pilot):
        raise ExperimentError(f"{where}: 'pilot' must map a metadata key to its values (e.g. pilot: {{team: [Shenzhen]}})")
    pilot = {k: [v] if isinstance(v, (str, int)) else v for k, v in pilot.items()}
    if not all(isinstance(v, list) and v and all(isinstance(x, (str, int)) and len(str(x)) <= 200 for x in v) for v in pilot.values()):
        raise ExperimentError(f"{where}: 'pilot': each key needs one or more values")
    tracker = raw.get("pilot_tracker")
    if tracker is not None and (not isinstance(tracker, str) or not yaml_file.ID.fullmatch(tracker)):
        raise ExperimentError(f"{where}: 'pilot_tracker' must be a tracker's id")
    if pilot and tracker:
        raise ExperimentError(f"{where}: give a pilot group by metadata or by a tracker, not both")
    kinds = raw.get("kinds") or []
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(kinds, list) or any(k not in KINDS for k in kinds):
        raise ExperimentError(f"{where}: 'kinds' must be some of {', '.join(KINDS)}")
    weeks = raw.get("weeks", 4)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 26:
        raise ExperimentError(f"{where}: 'weeks' must be a whole number from 1 to 26")
    return Experiment(id=eid, name=name, names=names, change=change, outcome=outcome,
                      pilot={k: tuple(str(x) for x in v) for k, v in pilot.items()}, pilot_tracker=tracker,
                      kinds=tuple(kinds), weeks=weeks)


def load(source: str | Path | None = None) -> list[Experiment]:
    """The saved experiments (a YAML file, default ``experiments_file()``: none if it does not exist, or YAML text)."""
    doc, where = yaml_file.read(source, experiments_file(), ExperimentError, MAX_CHARS)
    found = [parse(raw, f"{where}, experiment {i}")
             for i, raw in enumerate(yaml_file.entries(doc, "experiments", where, ExperimentError), 1)]
    return yaml_file.unique(found, where, ExperimentError, "experiments")


def save(experiments: list[Experiment], path: str | Path | None = None) -> Path:
    return yaml_file.write(Path(path) if path else experiments_file(), "# toneboard experiments (format: analytics/experiments/design.py)",
                           "experiments", [e.as_dict() for e in experiments], load)


def upsert(e: Experiment, path: str | Path | None = None) -> Path:
    return save([x for x in load(Path(path) if path else None) if x.id != e.id] + [e], path)


def remove(eid: str, path: str | Path | None = None) -> Path:
    current = load(Path(path) if path else None)
    if not any(e.id == eid for e in current):
        raise ExperimentError(f"no experiment has the id {eid!r}")
    return save([e for e in current if e.id != eid], path)
