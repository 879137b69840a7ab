"""Rules, their tickets' announcements and what runs after a batch: ``rules`` (the rule language
and its evaluation), ``notify`` (webhooks and e-mail), ``after_batch`` (evaluate, open tickets,
announce; the demo data).

May import: ``analytics`` (filters, metadata, the reader, tickets) and ``ingest``. The rest of
``analytics`` never imports this package, so the home page or an export reads tickets without
the rule engine.
"""
