"""Who spoke: ``diarize`` (speaker embeddings of windows of speech, clustered; the encoders are
``ingest.models.speaker_encoders``),
``roles`` (which speaker is the agent or teacher), ``voices`` (enrolled voiceprints matched to a
call's speakers) and ``attribute`` (who speaks now in a live mono call).

May import: the ``ingest`` base, ``ingest.models`` and ``ingest.store``.
"""
