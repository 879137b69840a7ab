"""toneboard ingestion: audio files and live calls in, tagged speech segments in the store out.

Rooms (each sub-package's docstring says what it owns and may import; ``tests/test_structure.py``
checks the directions, lazy and type-checking imports included):

- the base, this package's own modules: ``records`` (every record that crosses a boundary),
  ``errors`` (what stops a batch), ``ids`` (names that become paths), ``decode`` (ffmpeg),
  ``signals`` (loudness, speaking rate, pauses), ``prosody`` (pitch, a raised voice), ``pii``. They import no sub-package.
- ``models``: SenseVoice through FunASR, its tags, the int8 cache, the VAD, the hub.
- ``store``: the data folder (layout, schema, compacted months, backups, voiceprint files).
- ``speakers``: diarization, roles, voiceprints matched, live attribution.
- ``options`` and ``analyse``: what an ingest is asked to do, and one recording analysed with
  the models and speakers above.
- ``batch``: a batch of files (one process or Ray), manifests, the console, demo data.
- ``live``: calls in progress (server, one call, protocol, client, live rules, stream).

Nothing here imports ``analytics``, ``dashboard`` or ``cli``: ingestion runs in Ray workers and
the live server without them.
"""
from pathlib import Path

PIPELINE_VERSION = "1.0"
DATA_DIR = Path(__file__).resolve().parent.parent / "data"  # what ships beside the code: rules, openings, notify
