"""toneboard dashboard: Streamlit pages that lay out what ``analytics`` computes (no SQL).

``app`` (the menu), ``views/`` (one page each: they may import only ``dashboard``, ``analytics``
and its rooms, never a model or the store), ``ui`` (state, sidebar, filters, the reader),
``charts``, ``tables`` and ``cards`` (Plotly, table and moment-card helpers), ``i18n`` (English and Chinese), ``login``
(the door) and ``auth`` (the password check, no Streamlit), ``worker`` (uploads ingested in the
background) and ``serve`` (``toneboard dashboard``).

May import: ``analytics`` and its rooms (alerts, access, qa, workflow) and, outside ``views/``,
``ingest`` (the worker runs the pipeline; ``ui`` reads the ingest options).
"""

# The dashboard's pages in menu order (dashboard/views/<name>.py): the one list the app, the tests
# and benchmarks/page_render.py use.
PAGES = ("overview", "people", "trends", "moments", "trackers", "topics", "experiments", "playlists", "upload", "live", "sessions",
         "timeline", "heatmaps", "compare", "risk", "quality", "review", "classroom", "accuracy", "export", "team")
PAGE_NEEDS = {"team": "users", "upload": "upload"}  # in the menu of those who may (login.may) only
