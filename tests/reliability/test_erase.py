"""Erasing one customer (a request under PIPL or the GDPR): ``toneboard erase --meta customer=…``
lists their recordings, and with --yes leaves no trace of them in any table or file of the store —
compacted months, corrections, tickets and their events, playlist items, muted playback copies —
while everyone else's stay; the audit says that an erasure happened, never whose."""
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics.corrections import correct_segment
from analytics.playlists import add as add_to_playlist
from analytics.tickets import set_status
from ingest.store import Store
from ingest.store.erase import phone_pattern

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def _traces(root: Path, needles: list[str]) -> list[str]:
    """Files under ``root`` holding any of ``needles``: Parquet read as rows, other files as bytes."""
    found = []
    con = duckdb.connect()
    for f in root.rglob("*"):
        if not f.is_file() or f.is_symlink():
            continue
        if f.suffix == ".parquet":
            text = con.execute("SELECT * FROM read_parquet(?)", [str(f)]).df().to_string()
        else:
            text = f.read_bytes().decode("utf-8", "replace")
        found += [f"{f.relative_to(root)}: {n}" for n in needles if n in text]
    return found


def test_an_erased_customer_leaves_no_trace_and_the_others_stay(demo_copy):
    data, _ = demo_copy
    con, store = data.con, data.store
    db = data.db_path
    rid = con.execute("SELECT recording_id FROM metadata WHERE key = 'customer' AND value = 'ACME-003'").fetchone()[0]
    name = con.execute("SELECT filename FROM recordings WHERE recording_id = ?", [rid]).fetchone()[0]
    total = con.execute("SELECT count(*) FROM recordings").fetchone()[0]
    correct_segment(store, con, rid, 0, "ANGRY", [], by="lead")
    add_to_playlist(store, con, "to coach", rid, 0, by="lead")
    ticket = con.execute("SELECT ticket_id FROM tickets WHERE recording_id = ?", [rid]).fetchone()
    if ticket:
        set_status(store, con, ticket[0], "acknowledged", "lead")
    muted = store.cache("muted") / f"{rid}.wav"
    muted.parent.mkdir(parents=True, exist_ok=True)
    muted.write_bytes(b"RIFF....WAVE")
    root = store.root
    assert _traces(root, [rid]) and _traces(root, ["ACME-003"])  # the customer is there to be found

    r = _cli("erase", "--meta", "customer=ACME-003", "--db", str(db))  # without --yes: a list
    assert r.returncode == 0 and "1 recordings would be deleted" in r.stdout and rid in r.stdout and name in r.stdout
    assert _traces(root, [rid])
    r = _cli("erase", "--meta", "customer=ACME-003", "--yes", "--by", "dpo", "--db", str(db))
    assert r.returncode == 0 and "deleted 1 recordings" in r.stdout, r.stderr
    assert _traces(root, [rid, "ACME-003", name]) == []
    from analytics.db import Data

    after = Data(db).con
    assert after.execute("SELECT count(*) FROM recordings").fetchone()[0] == total - 1
    assert after.execute("SELECT count(*) FROM metadata WHERE value = 'ACME-004'").fetchone()[0] == 1  # others stay
    from analytics.access import audit

    log = audit.entries(Store(db), login="dpo")
    assert list(log["action"]) == ["erase"] and '"recordings": 1' in log["detail"].iloc[0]
    assert "ACME" not in log["detail"].iloc[0]
    r = _cli("erase", "--db", str(db))
    assert r.returncode == 2 and "--meta KEY=VALUE or --phone" in r.stderr


@pytest.mark.parametrize(("text", "found"), [("call me on 138 0013 8000 please", True), ("13800138000", True),
                                             ("138-0013-8000", True), ("+8613800138000", True),
                                             ("9138001380001", False), ("138 0013 800", False), ("", False)])
def test_a_phone_number_is_found_as_people_write_it(text, found):
    assert duckdb.execute("SELECT regexp_matches(?, ?)", [text, phone_pattern("138 0013 8000")]).fetchone()[0] == found


def test_a_phone_number_with_few_digits_is_refused():
    with pytest.raises(ValueError, match="at least 5 digits"):
        phone_pattern("12-3")
