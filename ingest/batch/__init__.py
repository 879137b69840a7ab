"""A batch of files: ``pipeline`` (discover, analyse, store, in one process with a look-ahead),
``job`` (one file's job, the same for every driver), ``distributed`` (Ray), ``files`` (which files
are recordings), ``manifest`` (CSV from call systems), ``console`` (the terminal's progress) and
``demo`` (seeded synthetic data).

May import: every ``ingest`` room below it (base, models, store, speakers, options and analyse).
"""
