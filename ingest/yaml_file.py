"""The team's YAML files beside the code (trackers, experiments, the glossary): read with a size limit
and errors that name the file, the common head of an entry (id, name, names) checked the same way,
and written back in one step. Each caller passes its own error class (a ValueError)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def read(source: str | Path | None, default: Path, error: type[ValueError], max_chars: int) -> tuple[object, str]:
    """(the YAML document, where it came from) of ``source``: a file (None: ``default``; a missing file
    is an empty document) or YAML text."""
    where = "text"
    if source is None or isinstance(source, Path):
        path = Path(source) if source else default
        if not path.is_file():
            return None, path.name
        where = path.name
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as e:
            raise error(f"{where}: cannot be read ({e.strerror})") from None
    if len(source) > max_chars:
        raise error(f"{where}: at most {max_chars:,} characters (this has {len(source):,})")
    try:
        return yaml.safe_load(source), where
    except yaml.YAMLError as e:
        raise error(f"{where}: not valid YAML: {str(e).splitlines()[0]}") from None


def entries(doc, key: str, where: str, error: type[ValueError]) -> list:
    """``doc[key]``: the file's list of entries (an empty document: none)."""
    if doc is None:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get(key, []), list):
        raise error(f"{where}: expected '{key}:' followed by a list")
    return doc.get(key) or []


def head(raw, where: str, error: type[ValueError], fields: set[str], what: str) -> tuple[str, str, dict, str]:
    """An entry's id, name and names in other languages, checked; (id, name, names, where naming the id)."""
    if not isinstance(raw, dict):
        raise error(f"{where}: {what} must be a mapping ({', '.join(sorted(fields))})")
    unknown = set(raw) - fields
    if unknown:
        raise error(f"{where}: unknown field {sorted(map(str, unknown))[0]!r} (fields: {', '.join(sorted(fields))})")
    eid = raw.get("id")
    if not isinstance(eid, str) or not ID.fullmatch(eid):
        raise error(f"{where}: 'id' must be 1-64 of a-z, 0-9, _ and - (got {eid!r})")
    where = f"{where} ({eid})"
    name = raw.get("name", eid)
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise error(f"{where}: 'name' must be a text of 1-200 characters")
    names = raw.get("names") or {}
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) and len(v) <= 200 for k, v in names.items()):
        raise error(f"{where}: 'names' must map a language to a name (e.g. names: {{zh: …}})")
    return eid, name.strip(), dict(names), where


def unique(items: list, where: str, error: type[ValueError], what: str) -> list:
    """The items (each with an ``id``), or the error naming an id that is there twice."""
    seen = set()
    for item in items:
        if item.id in seen:
            raise error(f"{where}: two {what} have the id {item.id!r}")
        seen.add(item.id)
    return items


def write(path: Path, header: str, key: str, rows: list[dict], check) -> Path:
    """Write ``{key: rows}`` under the comment ``header`` to ``path`` in one step, once ``check(text)``
    (the caller's reader) accepts what would be written."""
    text = header.rstrip("\n") + "\n" + yaml.safe_dump({key: rows}, allow_unicode=True, sort_keys=False, width=120)
    check(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
