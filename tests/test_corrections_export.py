"""Corrections beside the model's output, the agreement report, CSV/HTML export, the snapshot's
incremental refresh and the analytics CLI."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cli
from analytics.corrections import agreement, correct_segment
from analytics.db import Data
from analytics.export import to_csv
from analytics.filters import Filter, FilterError
from analytics.reactions import REACTION_WINDOW_S, followers_sql, phrase_reactions
from analytics.report import html_report
from analytics.workflow.after_batch import build_demo as build
from ingest.batch.demo import remove

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def data(demo_copy):
    return demo_copy


def test_corrections_are_used_and_the_model_output_kept(data):
    d, planted = data
    rid = planted.won[0]
    segs = d.con.execute("SELECT seg_index, emotion FROM segments WHERE recording_id = ? ORDER BY seg_index", [rid]).fetchall()
    idx = [i for i, e in segs if e == "NEUTRAL"][:3]
    correct_segment(d.store, d.con, rid, idx[0], "HAPPY", by="li")
    correct_segment(d.store, d.con, rid, idx[1], "NEUTRAL", by="li")  # agrees with the model
    correct_segment(d.store, d.con, rid, idx[2], "ANGRY", ["LAUGHTER"], by="li")
    correct_segment(d.store, d.con, rid, idx[2], "SAD", by="wang")  # the latest wins
    d.refresh()
    row = d.con.execute("SELECT emotion, model_emotion, corrected FROM seg WHERE recording_id = ? AND seg_index = ?",
                        [rid, idx[0]]).fetchone()
    assert row == ("HAPPY", "NEUTRAL", True)
    stored = d.store.compacted_files(d.store.generation(), "segments")  # the model's output on disk is untouched
    assert d.con.execute("SELECT emotion FROM read_parquet(?) WHERE recording_id = ? AND seg_index = ?",
                         [stored, rid, int(idx[0])]).fetchone()[0] == "NEUTRAL"
    r = agreement(d.con)
    assert (r["n"], r["agree"]) == (3, 1) and r["ci_low"] < 1 / 3 < r["ci_high"]
    assert r["confusion"].loc["HAPPY", "NEUTRAL"] == 1 and r["confusion"].loc["SAD", "NEUTRAL"] == 1
    with pytest.raises(FilterError, match="not one of"):
        correct_segment(d.store, d.con, rid, 0, "GRUMPY")
    with pytest.raises(FilterError, match="no segment 999"):
        correct_segment(d.store, d.con, rid, 999, "SAD")


def test_precomputed_reactions_equal_the_join_and_follow_corrections(data):
    d, planted = data
    con = d.con

    def joined():  # the query-time join, for every segment
        every = "(SELECT recording_id || ':' || seg_index AS key, * FROM segments)"
        return con.execute(f"SELECT key, gap, mask FROM ({followers_sql(every, 'segments')}) ORDER BY key",
                           {"w": REACTION_WINDOW_S}).fetchall()

    def stored():
        return con.execute("SELECT recording_id || ':' || seg_index AS key, react_gap_s, react_mask FROM segments "
                           "ORDER BY key").fetchall()

    assert stored() == joined() and any(mask for _, _, mask in stored())
    # correct what the prospect does right after the feature mention in a won demo: the mention's
    # reaction (default window, read from the precomputed columns) shows the corrected label
    rid = planted.won[0]
    mention = phrase_reactions(con, "数据看板|dashboard supports custom", Filter(recording_ids=[rid]), regex=True)[0].iloc[0]
    follower = con.execute("""SELECT seg_index FROM seg WHERE recording_id = ? AND role <> ? AND start_s >= ?
                              ORDER BY start_s LIMIT 1""", [rid, mention["role"], mention["end_s"] - 0.05]).fetchone()[0]
    assert "SAD" not in mention["emotions"]
    correct_segment(d.store, con, rid, follower, "SAD", by="li")
    d.refresh()
    after = phrase_reactions(con, "数据看板|dashboard supports custom", Filter(recording_ids=[rid]), regex=True)[0].iloc[0]
    assert "SAD" in after["emotions"] and stored() == joined()


def test_csv_has_bom_and_json_lists(data):
    d, _ = data
    df = pd.DataFrame({"text": ["已经三天了"], "events": [["LAUGHTER", "BGM"]]})
    raw = to_csv(df)
    assert raw.startswith(b"\xef\xbb\xbf") and "已经三天了" in raw.decode("utf-8-sig")
    assert '"[""LAUGHTER"", ""BGM""]"' in raw.decode("utf-8-sig")


def test_html_report(data):
    d, planted = data
    page = html_report(d.con, title="Week 47")
    assert page.startswith("<!doctype html>") and "Week 47" in page and "plotly" in page.lower()
    assert "Won vs lost demos" in page and "laughs a minute" in page and "Classroom stuck points" in page
    empty = html_report(Data(d.db_path.parent / "empty.duckdb").con)
    assert "nothing in this period" in empty and "has no recordings" in empty


def test_snapshot_refresh_sees_new_replaced_and_removed(data):
    d, planted = data
    assert d.refresh() is False
    assert remove(d.db_path) == 112
    assert d.refresh() is True
    assert d.con.execute("SELECT count(*) FROM recordings").fetchone()[0] == 0
    build(d.db_path, seed=7)
    d.refresh()
    assert d.con.execute("SELECT count(*), count(DISTINCT recording_id) FROM recordings").fetchone() == (112, 112)
    assert d.con.execute("SELECT count(*) FROM segments").fetchone()[0] == \
        d.con.execute("SELECT sum(n_segments) FROM recordings").fetchone()[0]


def test_analytics_cli(tmp_path, capsys):
    db = str(tmp_path / "tb.duckdb")
    assert cli.main(["demo", "--db", db]) == 0
    assert cli.main(["tickets", "evaluate", "--db", db]) == 0
    assert "35 matches, 0 new tickets" in capsys.readouterr().out  # the demo's build opened them already
    assert cli.main(["tickets", "evaluate", "--db", db]) == 0
    assert "0 new tickets" in capsys.readouterr().out
    out = tmp_path / "r.html"
    assert cli.main(["report", "--db", db, "--since", "30d", "--out", str(out)]) == 0 and out.stat().st_size > 1000
    csv = tmp_path / "c.csv"
    assert cli.main(["export", "compare", "--db", db, "--kind", "sales", "--csv", str(csv)]) == 0
    assert pd.read_csv(csv, encoding="utf-8-sig")["feature"].iloc[0] in ("LAUGHTER", "SURPRISED")
    assert cli.main(["export", "stuck-points", "--db", db, "--meta", "course=Python 101", "--csv", str(csv)]) == 0
    assert len(pd.read_csv(csv, encoding="utf-8-sig")) == 12
    for what in ("reactions", "mentions"):  # the summary, and every mention (the page lists the newest)
        assert cli.main(["export", what, "--phrase", "数据看板", "--db", db, "--csv", str(tmp_path / f"{what}.csv")]) == 0
    said = pd.read_csv(tmp_path / "mentions.csv", encoding="utf-8-sig")
    summary = pd.read_csv(tmp_path / "reactions.csv", encoding="utf-8-sig")
    assert len(said) == summary.groupby("cohort")["mentions"].first().sum() > 0 and said["text"].str.contains("数据看板").all()
    capsys.readouterr()
    assert cli.main(["export", "heatmap-metadata", "--key", "shop", "--db", db, "--csv", str(csv)]) == cli.EXIT_USAGE
    assert "no recording has the key 'shop'" in capsys.readouterr().err
    assert cli.main(["export", "sessions", "--since", "someday", "--db", db, "--csv", str(csv)]) == cli.EXIT_USAGE
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: x\n    all: [{segments: {emotion: GRUMPY}}]\n")
    assert cli.main(["rules", "check", str(bad)]) == cli.EXIT_USAGE
    assert "unknown tag 'GRUMPY'" in capsys.readouterr().err
    assert cli.main(["demo", "--remove", "--db", db]) == 0


def test_cli_help_lists_every_command():
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--help"], capture_output=True, text=True).stdout
    for cmd in ("ingest", "summary", "demo", "report", "export", "rules", "tickets", "correct"):
        assert cmd in out


FORMULAS = ['=HYPERLINK("http://elsewhere/x","click")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def test_csv_cells_and_headers_that_a_spreadsheet_would_run_are_neutralised():
    df = pd.DataFrame({"filename": FORMULAS + ["a-b.wav"], "=head": list(range(7)),
                       "events": [["=x"]] * 7, "n": [-1] * 7})
    rows = _csv_rows(to_csv(df).decode("utf-8-sig"))
    assert rows[0] == ["filename", "'=head", "events", "n"]
    assert [r[0] for r in rows[1:]] == ["'" + f for f in FORMULAS] + ["a-b.wav"]  # shown as text, nothing lost
    assert rows[1][2] == '["=x"]' and rows[1][3] == "-1"  # JSON lists start with [; numbers stay numbers


def test_every_exported_csv_neutralises_names_and_metadata_from_recordings(data, tmp_path):
    """A recording named like a formula, with a formula as metadata, in `toneboard export`'s CSV."""
    from ingest.records import Recording, Segment, now

    d, _ = data
    rid = __import__("hashlib").sha256(b"formula").hexdigest()
    seg = Segment(recording_id=rid, channel=0, role="agent", seg_index=0, start_s=0.0, end_s=2.0, language="en", emotion="NEUTRAL",
                  emotion_confidence=None, events=[], itn=True, text="=1+1 said", raw_text="", loudness_dbfs=-20, speaking_rate=None,
                  rate_unit=None)
    rec = Recording(recording_id=rid, path="x", filename=FORMULAS[0], size_bytes=1, format="wav", codec=None, duration_s=3.0,
                    sample_rate=16000, channels=1, analysed_channels=1, mixed=False, kind="service", outcome=None, batch_id="b",
                    recorded_at=now(), recorded_at_source="x", language_requested="auto", model_id="m", model_revision=None,
                    pipeline_version="1", vad="silero", ingested_at=now(), n_segments=1, speech_s=2.0,
                    metadata={"agent": "@SUM(1+1)", "team": "-1+2"})
    d.store.write_recording(rec, [seg], [])
    for what in ("sessions", "segments"):
        out = tmp_path / f"{what}.csv"
        assert cli.main(["export", what, "--csv", str(out), "--db", str(d.store.db_path)]) in (0, None)
        cells = [c for row in _csv_rows(out.read_bytes().decode("utf-8-sig")) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))], what
        assert "'" + FORMULAS[0] in cells or "'=1+1 said" in cells, what


def _csv_rows(text: str) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(text, newline="")))


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_opens_with_the_summary_and_says_which_rows_are_demo_data(data, lang):
    d, _ = data
    page = html_report(d.con, lang=lang)
    words = {"en": ("Summary", "This week against last week", "What needs attention", "Who moved most",
                    "Won against lost: what differs", "Details", "synthetic demo data", "(demo)", "a clear difference"),
             "zh": ("摘要", "本周与上周", "需要关注", "变化最大的人", "赢单与丢单：有何不同", "详细内容", "合成的演示数据", "(演示)",
                    "差异明显")}[lang]
    at = [page.find(w) for w in words]
    assert all(i >= 0 for i in at), dict(zip(words, at))
    summary, details = page.find(words[0]), page.find(words[5])
    assert summary < at[2] < at[4] < details, "the summary first, the findings in sentences in it, then the details"
    assert page.find("<h3>" + ("People" if lang == "en" else "人员")) > details
    assert "p_adjusted" not in page and "cliffs_delta" not in page and "Cliff's delta" in page  # explained in words
    table = page[page.find("<h3>" + ("Recordings" if lang == "en" else "录音")):]
    assert ("Agent" if lang == "en" else "坐席") in table[:3000], "the agent beside every recording"
    mood = page.rfind(__import__("json").dumps("Mood over each recording" if lang == "en" else "每条录音从头到尾的情绪")[1:-1])
    assert mood > page.find("<h3>" + ("Classroom stuck points" if lang == "en" else "课堂卡点")), "the mood last"
