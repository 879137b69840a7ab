"""What can go wrong in an ingest, said once for every runner (one process with its look-ahead
thread, Ray's actors and driver, the live server, the CLI's exit status).

``FATAL``: a model or the VAD cannot be had, so no file could be analysed — the batch stops at the
first file with the reason (the CLI exits 3). ``FileFailed``: one file failed at a stage; it is
recorded and the batch goes on. Anything else raised while a file is analysed is that file's
"internal" failure. A runner that lets a fatal error pass as a file's failure records every file of
the batch as broken (Ray did, for an unavailable speaker model)."""
from __future__ import annotations


class ModelUnavailable(Exception):
    """The model cannot be downloaded or loaded; the message says why and what to do."""


class VadUnavailable(Exception):
    """The chosen VAD cannot be loaded (the message says why and what to do)."""


class SpeakerModelUnavailable(Exception):
    """The speaker-embedding model cannot be loaded (the message says why)."""


FATAL: tuple[type[Exception], ...] = (ModelUnavailable, VadUnavailable, SpeakerModelUnavailable)


class FileFailed(Exception):
    """One file could not be analysed at ``stage`` (decode, vad, speakers, recognize, store …) for
    ``reason``; the batch goes on."""

    def __init__(self, stage: str, reason: str):
        super().__init__(reason)
        self.stage, self.reason = stage, reason
