"""Rules, their tickets' announcements and the conditions they hold: ``conditions`` (the table of
kinds of condition, shared with the quality forms of ``analytics.qa``), ``rules`` (the rule
language), ``evaluation`` (rules on stored recordings: the scenes conditions see), ``notify``
(webhooks and e-mail). What runs after a batch is ``analytics.workflow``.

May import: ``analytics`` (filters, metadata, the reader, tickets) and ``ingest``. The rest of
``analytics`` never imports this package, so the home page or an export reads tickets without
the rule engine.
"""
