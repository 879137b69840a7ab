"""toneboard ingestion: decode → VAD → SenseVoice → parse → derived signals → store.

The one entry point is :func:`ingest.pipeline.ingest_paths`; the CLI (``toneboard ingest``) and the
dashboard's upload page both call it.
"""
PIPELINE_VERSION = "1.0"
