"""The models an ingest runs: SenseVoiceSmall through FunASR (``recognize``; ``tags`` parses its
output; ``int8cache`` keeps its quantised weights; ``funasr_lean`` imports FunASR light), the
voice activity detectors (``vad``), the speaker embedding models (``speaker_encoders``: CAM++ and
Resemblyzer's voice encoder) and ``hub``, the one fetch of a hub id for every model.

May import: the ``ingest`` base (decode, errors, records). Nothing else of toneboard.
"""
