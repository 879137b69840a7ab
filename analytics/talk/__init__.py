"""What they talk about: trackers (a named concept's many phrasings, counted on every call) and the
spellings a phrase is heard in (``variants``: simplified / traditional, widths, numbers, sounds).

``trackers`` (the definitions, ``data/trackers.yaml``), ``counts`` (counted per call into
``tracker_hits``; trends, cohorts, moments), ``commands`` (``toneboard trackers``).

May import: ``analytics`` (its base) and ``ingest``. The rules and forms (``analytics.alerts``,
``analytics.qa``) use trackers in their segment selectors (``tracker: price``).
"""
