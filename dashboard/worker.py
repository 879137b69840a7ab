"""Ingestion for the dashboard, outside the page's script run: one background thread per server
process works through a queue of uploaded batches. Uploaded files are kept content-addressed under
the store (``uploads/<sha256>/<name>``): they are the audio the timeline plays. The progress of
every batch lives in this object, so a page reload (or another browser tab) shows the same.

Each submitted batch is also journalled (``uploads/_batches/<key>.json``: its files and options)
until it finishes, so a batch cut short by a crash or restart of the server is listed by
``interrupted()`` and can be resumed: files already stored are skipped, the rest are analysed."""
from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from analytics.workflow.after_batch import hook
from ingest.batch.files import AUDIO_EXTENSIONS
from ingest.batch.pipeline import IngestOptions, Progress, ingest_paths
from ingest.store import Store

# What an upload may be: every audio and video format `toneboard ingest` takes by its extension
# (ingest.batch.files), and the manifest CSV; checked here, on the server, whatever the browser sent.
ACCEPTED = tuple(sorted(e.lstrip(".") for e in AUDIO_EXTENSIONS)) + ("csv",)


class UploadRefused(ValueError):
    """An upload is not kept: ``name``, and why (``ext``: its type is not taken; ``mb``: it is too large)."""

    def __init__(self, message: str, name: str = "", ext: str | None = None, mb: float | None = None,
                 limit_mb: float | None = None):
        super().__init__(message)
        self.name, self.ext, self.mb, self.limit_mb = name, ext, mb, limit_mb


@dataclass
class BatchState:
    key: str
    name: str
    files: list[str]
    status: str = "queued"  # queued | running | finished | failed
    files_done: int = 0
    current: str | None = None
    outcomes: list[dict] = field(default_factory=list)  # path, status, reason
    error: str | None = None
    started: float = field(default_factory=time.time)


MAX_NAME_BYTES = 120  # well under any file system's 255-byte limit, with room for ".part"
BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")  # marks that reorder what is shown


def _safe_name(name: str) -> str:
    """A file name without folders, control or direction characters or odd punctuation, at most
    MAX_NAME_BYTES long (its extension kept); the original name is kept as the recording's
    ``original_name`` metadata when it differs."""
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w.\- ]", "_", BIDI.sub("", base)).strip(" ")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext, stem = ext.strip(" ._")[:16], stem.strip(" ._") or "upload"
    room = MAX_NAME_BYTES - len(ext.encode()) - (1 if ext else 0)
    stem = stem.encode()[:room].decode(errors="ignore").rstrip(" .") or "upload"
    return f"{stem}.{ext}" if ext else stem


class IngestWorker:
    """The dashboard's background ingestion: batches queued from Upload, run one at a time in a
    thread, with progress a page reload finds again (each batch's own IngestOptions names the model)."""

    def __init__(self, db: str | Path):
        self.db = Path(db)
        self.uploads = Store(self.db).uploads()
        self.batches: dict[str, BatchState] = {}
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self.originals: dict[Path, str] = {}  # saved upload -> the name it was uploaded as, where they differ
        self._thread = threading.Thread(target=self._run, name="toneboard-ingest", daemon=True)
        self._thread.start()

    def save_upload(self, name: str, data: bytes, max_mb: float | None = None) -> Path:
        """Keep one uploaded file under the store, content-addressed; returns its path. Refuses
        (UploadRefused) a file type the dashboard does not take, or one larger than ``max_mb``."""
        safe = _safe_name(name)
        ext = safe.rsplit(".", 1)[-1].lower() if "." in safe else ""
        if ext not in ACCEPTED:
            raise UploadRefused(f"{safe}: " + (f".{ext} files are not accepted" if ext else "a file without an extension "
                                               "is not accepted") + f": give a recording ({', '.join(ACCEPTED[:-1])}) or "
                                               "the manifest (.csv)", safe, ext=ext)
        if max_mb is not None and len(data) > max_mb * 1024 * 1024:
            raise UploadRefused(f"{safe}: {len(data) / 2**20:.0f} MB is over the {max_mb:.0f} MB limit", safe,
                                mb=len(data) / 2**20, limit_mb=max_mb)
        folder = self.uploads / hashlib.sha256(data).hexdigest()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / safe
        if safe != name:
            self.originals[path] = str(name)[:1000]
        if not path.exists():
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)
        return path

    def with_original_names(self, files: list[Path], options: IngestOptions) -> IngestOptions:
        """Options whose manifest gives each renamed upload its ``original_name`` (the user's own
        manifest rows still apply, matched by the original or the safe name)."""
        import csv
        from dataclasses import replace

        renamed = {f: self.originals[f] for f in files if f in self.originals}
        if not renamed:
            return options
        theirs: dict[str, dict] = {}
        columns: list[str] = []
        if options.manifest:
            with open(options.manifest, encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                file_col = next((c for c in reader.fieldnames or [] if c.strip().lower() in ("filename", "file", "path")), None)
                columns = [c for c in reader.fieldnames or [] if c != file_col]
                for row in reader:
                    if file_col and row.get(file_col):
                        theirs[Path(row[file_col]).name] = {c: row.get(c, "") for c in columns}
        dest = self.uploads / "_manifests" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{len(self.batches)}.csv"
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["path", "original_name", *columns])
            for f in files:
                original = renamed.get(f, "")
                row = theirs.get(original) or theirs.get(Path(original).name) or theirs.get(f.name) or {}
                w.writerow([str(f), original, *[row.get(c, "") for c in columns]])
        return replace(options, manifest=dest)

    def submit_upload(self, files: list[Path], name: str, **options) -> str:
        """An upload's batch: ``options`` are IngestOptions' fields (the page names what was chosen)."""
        return self.submit(files, IngestOptions(**options), name)

    def submit(self, files: list[Path], options: IngestOptions, name: str) -> str:
        options = self.with_original_names(files, options)
        key = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{len(self.batches)}"
        journal = self._journal(key)
        journal.parent.mkdir(parents=True, exist_ok=True)
        tmp = journal.with_suffix(".part")
        tmp.write_text(json.dumps({"name": name, "files": [str(f) for f in files],
                                   "options": asdict(options)}, default=str, ensure_ascii=False))
        tmp.replace(journal)
        with self._lock:
            self.batches[key] = BatchState(key, name, [str(f) for f in files])
        self._queue.put((key, files, options))
        return key

    def _journal(self, key: str) -> Path:
        return self.uploads / "_batches" / f"{key}.json"

    def interrupted(self) -> list[dict]:
        """Batches journalled by an earlier server process that never finished: key, name, files."""
        out = []
        for f in sorted((self.uploads / "_batches").glob("*.json")):
            if f.stem in self.batches:
                continue  # this process's own: queued, running or failed just now
            try:
                j = json.loads(f.read_text())
            except (OSError, ValueError):
                continue
            out.append({"key": f.stem, "name": j.get("name", f.stem), "files": j.get("files", [])})
        return out

    def resume(self, key: str) -> str:
        """Submit an interrupted batch again (its kept uploads; what is stored already is skipped)."""
        journal = self._journal(key)
        j = json.loads(journal.read_text())
        opts = dict(j["options"])
        opts["db"] = Path(opts["db"])
        opts["manifest"] = Path(opts["manifest"]) if opts.get("manifest") else None
        opts["channel_roles"] = tuple(opts.get("channel_roles") or ("agent", "customer"))
        files = [Path(f) for f in j["files"] if Path(f).is_file()]
        new = self.submit(files, IngestOptions(**opts), j.get("name", key))
        journal.unlink(missing_ok=True)
        return new

    def busy(self) -> bool:
        return any(b.status in ("queued", "running") for b in self.batches.values())

    def _run(self) -> None:
        while True:
            key, files, options = self._queue.get()
            state = self.batches[key]
            state.status = "running"

            def progress(p: Progress, state: BatchState = state) -> None:
                state.files_done, state.current = p.files_done, p.current
                if p.last is not None and p.current is None:  # a file finished (not: the next one starts)
                    state.outcomes.append({"file": Path(p.last.path).name, "status": p.last.status,
                                           "reason": p.last.reason or ""})
            try:
                ingest_paths(files, options, progress, after_batch=hook(options))
                state.status = "finished"
                self._journal(key).unlink(missing_ok=True)
            except Exception as e:  # model or VAD unavailable, bad manifest: the whole batch
                state.status, state.error = "failed", f"{type(e).__name__}: {e}"
            finally:
                state.current = None

