"""toneboard analytics: pure functions and SQL over DuckDB (no Streamlit)."""
