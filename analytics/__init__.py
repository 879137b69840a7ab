"""toneboard analytics: pure functions and SQL over DuckDB (no Streamlit).

The reader (``db``: an in-memory DuckDB over the store, refreshed as it changes), the filter every
query takes (``filters``), statistics (``stats``), one module per analysis (home, people, trends,
compare, heatmaps, reactions, search, classroom, playlists, timeline, speakers, corrections,
tickets, live calls), the product's words (``words``), exports and the report (``export``), audio
as pages play it (``audio``). Rooms above them: ``talk`` (trackers, topics, the glossary on stored
calls), ``alerts`` (rules, notifications), ``access`` (accounts, audit), ``qa`` (quality forms),
``workflow`` (what follows a batch) and ``experiments`` (did a change work).

May import: ``ingest`` (records, options, the store, the tag names; the voiceprint enrolment for
"remember this voice"). Never ``dashboard`` or ``cli``.
"""
