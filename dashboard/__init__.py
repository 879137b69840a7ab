"""toneboard dashboard (Streamlit pages: layout only, no SQL). Built in the dashboard issue."""
