"""toneboard ingestion, stage by stage: ``decode`` → ``vad`` → ``recognize`` (SenseVoice through
FunASR; ``int8cache`` keeps its quantised weights) → ``tags`` (parse) → ``signals`` → ``store``;
``speakers``, ``voices`` and ``roles`` tell speakers apart and name them.

Files go through :func:`ingest.pipeline.ingest_paths` (the CLI, the dashboard's upload worker and,
with ``distributed``, Ray workers); calls in progress through ``live`` (the server) and
``live_call`` (one call); after either, ``notify`` opens the rules' tickets and announces them.
"""
PIPELINE_VERSION = "1.0"
