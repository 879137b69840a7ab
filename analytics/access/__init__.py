"""Who may see what: ``accounts`` (people, roles and scopes; the first admin), ``passwords`` (scrypt
hashes), ``audit`` (the append-only trail of who opened, played, exported or changed what) and
``commands`` (``toneboard users`` and ``toneboard audit``). No Streamlit: the CLI and the dashboard's
login and admin page use them alike.

May import: ``ingest`` (the store) and the ``analytics`` base. The rest of ``analytics`` does not
import this package.
"""
