"""Did our change work? An experiment is a change (a date, and optionally a pilot group: a team,
agents, the calls that say a tracker) and an outcome (won rate, angry customers, a quality form's
score, the agent's talk share, a tracker said); its answer is the difference-in-differences between
the pilot and everyone else, before and after, with a 95 % interval, n and one sentence.

``design`` (the saved experiments, ``data/experiments.yaml``), ``estimate`` (the calls' outcomes and
the estimate), ``commands`` (``toneboard experiment``).

May import: ``analytics`` and its rooms ``talk`` (trackers as pilots and outcomes) and ``qa``
(scores as an outcome), and ``ingest``.
"""
