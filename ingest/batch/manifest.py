"""Manifest CSV: how batches arrive from call systems. One row per file; ``filename`` (or ``file``
/ ``path``) is required, relative to the manifest's folder or a bare file name; ``kind``,
``outcome``, ``recorded_at``, ``language`` set those fields; every other column (agent, team,
customer, store, teacher, course, ...) becomes recording metadata."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

FILE_COLUMNS = ("filename", "file", "path")
FIELD_COLUMNS = ("kind", "outcome", "recorded_at", "language")


class ManifestError(Exception):
    """The manifest cannot be used at all (the message says why)."""


@dataclass
class ManifestRow:
    line: int
    file: str
    fields: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)


class Manifest:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.rows: list[ManifestRow] = []
        try:
            text = self.path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
        except FileNotFoundError:
            raise ManifestError(f"manifest {self.path} not found") from None
        except UnicodeDecodeError:
            raise ManifestError(f"manifest {self.path} is not UTF-8 text (save it as CSV UTF-8)") from None
        reader = csv.DictReader(text.splitlines())
        cols = [c.strip().lower() for c in (reader.fieldnames or [])]
        file_col = next((c for c in FILE_COLUMNS if c in cols), None)
        if file_col is None:
            raise ManifestError(f"manifest {self.path} has no 'filename' column (columns: {', '.join(cols) or 'none'})")
        for n, raw in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            name = row.pop(file_col, "")
            if not name:
                continue
            fields = {k: row.pop(k) for k in FIELD_COLUMNS if row.get(k)}
            for k in FILE_COLUMNS:
                row.pop(k, None)
            self.rows.append(ManifestRow(n, name, fields, {k: v for k, v in row.items() if v}))
        self._by_path = {self._resolve(r.file): r for r in self.rows}
        self._by_name = {}
        for r in self.rows:
            self._by_name.setdefault(Path(r.file).name, r)

    def _resolve(self, name: str) -> Path:
        p = Path(name).expanduser()
        return (p if p.is_absolute() else self.path.parent / p).resolve()

    def files(self) -> list[tuple[Path, ManifestRow]]:
        return [(self._resolve(r.file), r) for r in self.rows]

    def lookup(self, path: Path) -> ManifestRow | None:
        return self._by_path.get(Path(path).resolve()) or self._by_name.get(Path(path).name)
