"""Quality assurance: every call scored on the team's own forms. ``forms`` (the YAML forms and their
checks), ``scoring`` (the machine's answers with their evidence, written after every batch and live
call), ``scores`` (a call's score: the machine's answers, a reviewer's where given).

May import: ``ingest``, the ``analytics`` base and ``analytics.alerts`` (the conditions forms hold,
the scenes rules are evaluated on). Nothing below it imports this package.
"""
