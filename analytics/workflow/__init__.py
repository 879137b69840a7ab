"""What runs after a batch or a live call, across the concerns: retention, compaction, the rules'
tickets and their announcements (``analytics.alerts``), the quality forms' scores (``analytics.qa``);
``after_batch.hook`` is what the command line, the upload worker and the live server hand to
ingest. ``commands``: ``toneboard rules`` and ``toneboard tickets``.

May import: ``ingest``, the ``analytics`` base, ``analytics.alerts`` and ``analytics.qa``.
"""
