"""Quality forms (质检评分表): sections of items a call is scored on, one YAML file each in
``data/forms/`` (or the folder ``TONEBOARD_FORMS`` names). Read and checked here, with errors that
name the file, the item and the field. Format (the shipped forms are commented examples)::

    id: service                       # [a-z0-9_-], the file's own name
    name: Customer service call
    names: {zh: 客服通话质检}          # the name in other languages
    kinds: [service]                  # the recordings it scores (sales, service, class, other)
    pass_mark: 80                     # a call passes from this score (0-100) on
    sections:
      - id: opening
        name: Opening
        names: {zh: 开场}
        items:
          - id: greeting
            name: Greets the customer in the first 15 s
            names: {zh: 前 15 秒内问候客户}
            weight: 10                # points it is worth
            answer: yes_no            # or scale, with scale: N (0..N; the machine answers yes / no only)
            na: false                 # may it not apply to a call?
            fatal: false              # does a "no" fail the whole call?
            auto:                     # answered by the machine: yes when all (or any) conditions hold
              all:
                - segments: {role: agent, text: "您好|你好|hello"}
                  first: 15
            applies:                  # optional (needs na: true): "does not apply" unless these hold
              any:
                - segments: {emotion: ANGRY, role: customer}

An item without ``auto`` is answered by a person (a reviewer). Conditions are the rule language's
(``analytics.alerts.conditions``: said by a role, in the first or last N seconds, before or after
another moment, not, in a question, conversation measures, emotions with a minimum confidence, a
raised voice). A form's version is a digest of its items: a call scored on another version is
scored again (its human answers are kept).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest import DATA_DIR
from ingest.records import KINDS

from ..alerts.conditions import RuleError, check_condition

FORMS_DIR = DATA_DIR / "forms"
ANSWERS = ("yes_no", "scale")
MAX_FORM_CHARS = 200_000
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class FormError(ValueError):
    """An invalid form; the message names the file, the item and the field."""


class Named:
    """Something with a name in English and ``names`` in other languages."""

    def label(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.name


@dataclass(frozen=True)
class Item(Named):
    id: str
    name: str
    section: str
    weight: float
    answer: str = "yes_no"  # yes_no | scale
    scale: int = 1  # the best answer: 1 (yes), N (a 0-N scale)
    na: bool = False
    fatal: bool = False
    auto: tuple[str, tuple[dict, ...]] | None = None  # (all | any, conditions); None: a person answers
    applies: tuple[str, tuple[dict, ...]] | None = None
    names: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Section(Named):
    id: str
    name: str
    names: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Form(Named):
    id: str
    name: str
    kinds: tuple[str, ...]
    pass_mark: float
    sections: tuple[Section, ...]
    items: tuple[Item, ...]
    names: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def version(self) -> str:
        """A digest of what decides the answers and the score (not the names)."""
        what = [(i.id, i.section, i.weight, i.answer, i.scale, i.na, i.fatal, i.auto, i.applies) for i in self.items]
        return hashlib.sha1(json.dumps([what, self.pass_mark], sort_keys=True, default=str).encode()).hexdigest()[:12]

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise FormError(f"form {self.id!r} has no item {item_id!r}")

    def scores(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


def forms_dir() -> Path:
    return Path(os.environ.get("TONEBOARD_FORMS") or FORMS_DIR)


def load_forms(folder: str | Path | None = None) -> list[Form]:
    """Every form of the folder (default: ``forms_dir()``), by id; an invalid one raises FormError."""
    folder = Path(folder) if folder else forms_dir()
    if not folder.is_dir():
        return []
    forms = [load_form(p) for p in sorted(folder.glob("*.yaml"))]
    seen: dict[str, str] = {}
    for f in forms:
        if f.id in seen:
            raise FormError(f"two forms have the id {f.id!r} ({seen[f.id]} and another file)")
        seen[f.id] = f.name
    return forms


def load_form(source: str | Path) -> Form:
    """A form from a YAML file or from YAML text (the editor's)."""
    where = "form"
    if isinstance(source, Path):
        where = source.name
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as e:
            raise FormError(f"{where}: cannot be read ({e.strerror})") from None
    else:
        text = source
    if len(text) > MAX_FORM_CHARS:
        raise FormError(f"{where}: at most {MAX_FORM_CHARS:,} characters (this has {len(text):,})")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise FormError(f"{where}: not valid YAML: {str(e).splitlines()[0]}") from None
    return parse_form(doc, where)


def _names(raw: dict, where: str) -> dict:
    names = raw.get("names") or {}
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        raise FormError(f"{where}: 'names' must map a language to a name (e.g. names: {{zh: 开场}})")
    return names


def _id(raw: dict, where: str) -> str:
    value = str(raw.get("id", ""))
    if not _ID.fullmatch(value):
        raise FormError(f"{where}: 'id' must be lower-case letters, digits, - or _ (got {value!r})")
    return value


def _unknown(raw: dict, allowed: set, where: str) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise FormError(f"{where}: unknown field {sorted(unknown)[0]!r}")


def _conditions(raw, where: str) -> tuple[str, tuple[dict, ...]]:
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in ("all", "any"):
        raise FormError(f"{where}: give all: or any: with a list of conditions")
    mode, conds = next(iter(raw.items()))
    if not isinstance(conds, list) or not conds:
        raise FormError(f"{where}: '{mode}' must be a non-empty list of conditions")
    for j, c in enumerate(conds, 1):
        try:
            check_condition(c, f"{where}, condition {j}")
        except RuleError as e:
            raise FormError(str(e)) from None
    return mode, tuple(conds)


def _bool(raw: dict, key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise FormError(f"{where}: {key} must be true or false")
    return value


def _item(raw, section: str, where: str) -> Item:
    if not isinstance(raw, dict):
        raise FormError(f"{where}: an item must be a mapping with id, name and weight")
    iid = _id(raw, where)
    where = f"{where.rsplit(',', 1)[0]}, item {iid!r}"
    _unknown(raw, {"id", "name", "names", "weight", "answer", "scale", "na", "fatal", "auto", "applies", "description"}, where)
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1000:
        raise FormError(f"{where}: weight must be a number from 0 to 1000")
    answer = raw.get("answer", "yes_no")
    if answer not in ANSWERS:
        raise FormError(f"{where}: answer must be yes_no or scale (got {answer!r})")
    scale = raw.get("scale", 1 if answer == "yes_no" else None)
    if answer == "scale" and (isinstance(scale, bool) or not isinstance(scale, int) or not 2 <= scale <= 10):
        raise FormError(f"{where}: a scale item needs scale: N (a whole number from 2 to 10)")
    if answer == "yes_no" and scale != 1:
        raise FormError(f"{where}: scale is for answer: scale")
    na, fatal = _bool(raw, "na", where), _bool(raw, "fatal", where)
    auto = _conditions(raw["auto"], f"{where}, auto") if "auto" in raw else None
    if auto and answer == "scale":
        raise FormError(f"{where}: the machine answers yes / no only: a scale item is answered by a person (no auto)")
    applies = _conditions(raw["applies"], f"{where}, applies") if "applies" in raw else None
    if applies and not na:
        raise FormError(f"{where}: applies needs na: true (the item may then not apply to a call)")
    return Item(iid, str(raw.get("name", iid)), section, float(weight), answer, scale, na, fatal, auto, applies,
                _names(raw, where))


def parse_form(doc, where: str = "form") -> Form:
    if not isinstance(doc, dict):
        raise FormError(f"{where}: a form is a mapping with id, name and sections")
    fid = _id(doc, where)
    where = f"{where} (form {fid!r})" if where != "form" else f"form {fid!r}"
    _unknown(doc, {"id", "name", "names", "kinds", "pass_mark", "sections", "description"}, where)
    kinds = doc.get("kinds", [])
    if not isinstance(kinds, list) or not all(k in KINDS for k in kinds):
        raise FormError(f"{where}: kinds must be a list of {', '.join(KINDS)}")
    pass_mark = doc.get("pass_mark", 80)
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, (int, float)) or not 0 <= pass_mark <= 100:
        raise FormError(f"{where}: pass_mark must be a score from 0 to 100")
    raw_sections = doc.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise FormError(f"{where}: 'sections' must be a non-empty list")
    sections, items, seen = [], [], set()
    for i, raw in enumerate(raw_sections, 1):
        if not isinstance(raw, dict):
            raise FormError(f"{where}, section #{i}: must be a mapping with id, name and items")
        sid = _id(raw, f"{where}, section #{i}")
        swhere = f"{where}, section {sid!r}"
        _unknown(raw, {"id", "name", "names", "items"}, swhere)
        if not isinstance(raw.get("items"), list) or not raw["items"]:
            raise FormError(f"{swhere}: 'items' must be a non-empty list")
        sections.append(Section(sid, str(raw.get("name", sid)), _names(raw, swhere)))
        for j, raw_item in enumerate(raw["items"], 1):
            item = _item(raw_item, sid, f"{swhere}, item #{j}")
            if item.id in seen:
                raise FormError(f"{swhere}, item {item.id!r}: duplicate id (item ids are unique in a form)")
            seen.add(item.id)
            items.append(item)
    if not any(i.weight for i in items):
        raise FormError(f"{where}: every item has weight 0: nothing can be scored")
    return Form(fid, str(doc.get("name", fid)), tuple(kinds), float(pass_mark), tuple(sections), tuple(items),
                _names(doc, where))
