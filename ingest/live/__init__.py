"""Calls in progress (``toneboard live``): ``server`` (the WebSocket server; it stores a finished
call), ``call`` (one call, through a narrow ``CallHost``), ``protocol`` (the start message,
checked), ``client`` (the reference client), ``rules`` (alerts during the call) and ``stream``
(PCM in, closed speech segments out).

May import: every ``ingest`` room (a finished call is stored as a batch of one).
"""
