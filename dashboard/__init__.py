"""toneboard dashboard (Streamlit pages: layout only, no SQL)."""

# The dashboard's pages in menu order (dashboard/views/<name>.py): the one list the app, the tests
# and benchmarks/page_render.py use.
PAGES = ("overview", "people", "trends", "moments", "playlists", "upload", "live", "sessions", "timeline", "heatmaps", "compare",
         "risk", "classroom",
         "export")
