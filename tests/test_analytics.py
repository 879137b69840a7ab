"""Each analysis recovers the patterns planted in the demo data, on a real DuckDB store."""
from datetime import datetime

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from analytics.classroom import course_findings, stuck_points
from analytics.compare import compare_cohorts
from analytics.filters import NORM_TEXT_MACRO, TEXT_SIG_MACRO, Filter, FilterError, parse_since, recording_where, sig_test, text_test
from analytics.heatmaps import by_metadata, cell_recordings, cooccurrence, hour_weekday, time_profile
from analytics.metrics import conversation_metrics, recent_sessions, recording_summary
from analytics.reactions import phrase_reactions
from analytics.search import search
from analytics.timeline import rich_text, timeline

FEATURE_RE = "dashboard supports custom|数据看板|數據看板|ダッシュボード|대시보드"


def test_compare_ranks_planted_tags_first_and_flags_nothing_else(demo):
    _, planted, con = demo
    c = compare_cohorts(con)
    assert set(c["feature"].head(2)) == {"LAUGHTER", "SURPRISED"}
    assert (c["p_adjusted"].head(2) < 0.01).all()
    # the planted silence after the feature in lost demos is the longest time nobody speaks, and
    # the wait before the other party answers (response_s) is longer in lost demos for the same reason
    assert set(c.loc[c["significant"], "feature"]) == {"LAUGHTER", "SURPRISED", "longest_pause_s", "response_s"}
    assert c.set_index("feature").loc["longest_pause_s", "difference"] < 0
    assert c.set_index("feature").loc["response_s", "difference"] < 0
    top = c.iloc[0]
    assert (top["n_won"], top["n_lost"]) == (20, 20) and top["ci_low"] > 0 and top["cliffs_delta"] == 1.0
    assert top["share_won"] == 1.0 and top["share_lost"] == 0.0 and top["fisher_p"] < 1e-6
    assert not c["small_n"].any()


def test_compare_small_cohorts_are_flagged_and_empty_ones_explained(demo):
    _, planted, con = demo
    small = compare_cohorts(con, Filter(recording_ids=planted.won[:4]), Filter(recording_ids=planted.lost[:4]))
    assert small["small_n"].all() and not small["significant"].any()  # 4 vs 4 cannot be significant after Holm
    with pytest.raises(FilterError, match="cohort 'won' has no recordings"):
        compare_cohorts(con, Filter(kinds=["sales"], outcomes=["won"], metadata={"team": ["Nowhere"]}))


def test_synthetic_recordings_are_counted_and_only_their_models_left_out(demo):
    from analytics.options import synthetic
    from ingest.batch.demo import DEMO_MODEL

    _, planted, con = demo
    won = Filter(outcomes=["won"])
    syn = synthetic(con, won)
    assert syn == {"demo": len(planted.won), "stand_in": 0, "models": [DEMO_MODEL]}
    n = lambda f: con.execute(f"SELECT count(*) FROM recordings r WHERE {recording_where(f)[0]}", recording_where(f)[1]).fetchone()[0]  # noqa: E731
    assert n(Filter(outcomes=["won"], models_out=["some-other-model"])) == len(planted.won)
    assert n(Filter(outcomes=["won"], models_out=syn["models"])) == 0


def test_phrase_reaction_shows_the_planted_split(demo):
    _, planted, con = demo
    mentions, summary = phrase_reactions(con, FEATURE_RE, regex=True, speaker_role="agent", long_pause_s=2.0)
    assert len(mentions) == 40
    won = mentions[mentions["cohort"] == "won"]
    assert all("LAUGHTER" in ev for ev in won["events"]) and all("SURPRISED" in em for em in won["emotions"])
    assert (mentions.loc[mentions["cohort"] == "lost", "response_gap_s"] > 2.5).all()
    share = {(r.cohort, r.reaction): r.share for r in summary.itertuples()}
    assert share[("won", "LAUGHTER")] == 1.0 and share[("won", "SURPRISED")] == 1.0
    assert share[("lost", "SILENCE>2s")] == 1.0 and share.get(("won", "SILENCE>2s"), 0) == 0.0
    assert ("lost", "LAUGHTER") not in share
    # the same by team, and the literal (non-regex) form in one language
    _, by_team = phrase_reactions(con, "数据看板", group_by="meta:team")
    assert set(by_team["cohort"]) <= {"Shenzhen", "Beijing"}
    with pytest.raises(FilterError, match="not a valid regular expression"):
        phrase_reactions(con, "(unclosed", regex=True)
    # a page lists the newest mentions; the summary and the totals count every one
    few, few_summary = phrase_reactions(con, FEATURE_RE, regex=True, speaker_role="agent", long_pause_s=2.0, limit=7)
    assert len(few) == 7 and few.attrs == {"total": 40, "recordings": mentions.attrs["recordings"]}
    assert few_summary.equals(summary)
    newest = con.execute("SELECT recording_id FROM recordings ORDER BY recorded_at DESC").df()["recording_id"]
    order = {r: i for i, r in enumerate(newest)}
    assert list(few["recording_id"].map(order)) == sorted(mentions["recording_id"].map(order))[:7]
    assert mentions.attrs["recordings"] == mentions["recording_id"].nunique()
    # another window reads the other party's segments of the period only: the same per mention
    times = con.execute("SELECT recorded_at FROM recordings ORDER BY recorded_at").df()["recorded_at"]
    since = times.iloc[len(times) // 2].to_pydatetime()
    cols = ["recording_id", "seg_index", "response_gap_s", "silence", "emotions", "events"]
    key = ["recording_id", "seg_index"]
    for window in (3.0, 12.0):
        everything = phrase_reactions(con, FEATURE_RE, regex=True, window_s=window, limit=None)[0]
        recent = phrase_reactions(con, FEATURE_RE, regex=True, flt=Filter(since=since), window_s=window, limit=None)[0]
        period = con.execute("SELECT recording_id FROM recordings WHERE recorded_at >= ?", [since]).df()["recording_id"]
        expected = everything[everything["recording_id"].isin(period)]
        assert 0 < len(recent) < len(everything)
        pd.testing.assert_frame_equal(recent[cols].sort_values(key).reset_index(drop=True),
                                      expected[cols].sort_values(key).reset_index(drop=True))


def test_stuck_points_land_at_planted_times(demo):
    _, planted, con = demo
    sp = stuck_points(con)
    assert len(sp) == sum(len(v) for v in planted.stuck.values())
    for rid, at in zip(sp["recording_id"], sp["at_s"]):
        assert any(abs(t - at) <= 0.5 for t in planted.stuck[rid])
    assert (sp["silence_s"] > 5).all() and sp["coughed"].all()
    # question phrases (for questions without a question mark) and every mode keep the parameters straight
    by_phrase = stuck_points(con, question_phrases=("谁能解释", "who can explain"), cough_window_s=3.0)
    assert by_phrase[["recording_id", "at_s"]].equals(sp[["recording_id", "at_s"]])
    assert len(stuck_points(con, mode="cough")) == len(sp)
    assert len(stuck_points(con, mode="silence", min_silence_s=8.0)) == 0
    findings, classes = course_findings(con)
    reused = course_findings(con, stuck=sp)  # the page passes the stuck points it has already
    assert reused[0].equals(findings) and reused[1].equals(classes)
    noisy = findings[findings["finding"] == "noisy listening environment"]
    assert len(noisy) == 1 and noisy.iloc[0]["recordings"] == planted.bgm_classes
    assert set(classes["stuck_points"]) == {2}


def test_trajectory_finds_relief(demo):
    _, planted, con = demo
    m = conversation_metrics(con, Filter(kinds=["service"]))
    cust = m[m["role"] == "customer"].set_index("recording_id")
    assert (cust.loc[planted.relief, "trajectory"] == "improving").all()
    assert (cust.loc[planted.complaints, "angry_share"] > 0).all()
    assert (cust.drop(planted.complaints + planted.relief)["angry_share"] == 0).all()
    row = m.iloc[0]
    assert 0 <= row["talk_ratio"] <= 1 and row["longest_monologue_s"] > 0
    ratio = m.groupby("recording_id")["talk_ratio"].sum()
    assert ratio.round(6).eq(1.0).all()


def test_overtalk_and_interruptions(tmp_path):
    from analytics.db import Data
    from ingest.records import Recording, Segment, now
    from ingest.store import Store

    store = Store(tmp_path / "o.duckdb")
    store.init()
    rid = "0" * 64
    segs = [Segment(recording_id=rid, channel=0, role="agent", seg_index=0, start_s=0.0, end_s=4.0, language="en", emotion="NEUTRAL",
                    emotion_confidence=None, events=[], itn=True, text="well what I mean is", raw_text="", loudness_dbfs=-20,
                    speaking_rate=None, rate_unit=None),
            Segment(recording_id=rid, channel=1, role="customer", seg_index=1, start_s=3.0, end_s=5.0, language="en", emotion="ANGRY",
                    emotion_confidence=None, events=[], itn=True, text="no listen?", raw_text="", loudness_dbfs=-15, speaking_rate=None,
                    rate_unit=None)]
    rec = Recording(recording_id=rid, path="o", filename="o.wav", size_bytes=1, format="wav", codec=None, duration_s=6.0,
                    sample_rate=16000, channels=2, analysed_channels=2, mixed=False, kind="service", outcome=None, batch_id="b",
                    recorded_at=None, recorded_at_source="x", language_requested="auto", model_id="m", model_revision=None,
                    pipeline_version="1", vad="silero", ingested_at=now(), n_segments=2, speech_s=6.0)
    store.write_recording(rec, segs, [])
    m = conversation_metrics(Data(tmp_path / "o.duckdb").con).set_index("role")
    assert m.loc["customer", "interruptions"] == 1 and m.loc["agent", "interruptions"] == 0
    assert m.loc["agent", "overtalk_s"] == pytest.approx(1.0) and m.loc["customer", "questions"] == 1


def test_timeline_and_rich_text(demo):
    _, planted, con = demo
    rid = planted.lost[0]
    tl = timeline(con, rid, min_pause_s=0.5)
    assert list(tl["start_s"]) == sorted(tl["start_s"])
    assert {"segment", "pause"} == set(tl["item"])
    silence = tl[(tl["item"] == "pause") & (tl["channel"] == -1) & (tl["start_s"] >= planted.feature_at[rid] - 0.01)]
    assert silence["duration_s"].iloc[0] > 2.5  # the planted silence after the feature
    text = rich_text(con, rid, min_pause_s=2.5)
    assert "[SILENCE " in text and "agent: " in text and "customer: " in text
    assert rich_text(con, rid, min_pause_s=2.5, tl=timeline(con, rid)) == text  # the page's own timeline
    assert rich_text(con, rid, min_pause_s=0.5) != text
    mono = rich_text(con, planted.stuck and next(iter(planted.stuck)), min_pause_s=5.0)
    assert "[SILENCE" in mono and "[COUGH]" in mono
    with pytest.raises(FilterError, match="no recording"):
        timeline(con, "nope")


def test_recording_choices_newest_first_with_the_open_one_kept(demo):
    from analytics.options import recording_choices

    _, planted, con = demo
    service = Filter(kinds=["service"])
    every = recording_summary(con, service)["recording_id"]  # newest first
    top = recording_choices(con, service, limit=3)
    assert list(top["recording_id"]) == list(every[:3]) and top["filename"].notna().all()
    oldest = every.iloc[-1]
    kept = recording_choices(con, service, limit=3, keep=oldest)
    assert list(kept["recording_id"]) == [*every[:3], oldest]
    assert len(recording_choices(con, service, limit=3, keep=planted.won[0])) == 3  # a sales demo: not kept


def test_search_is_cjk_aware_and_word_based(demo):
    _, planted, con = demo
    zh = search(con, "三天")
    assert len(zh) > 0 and zh["text"].str.contains("三天").all()
    assert len(search(con, "ORDER NUMBER")) > 0
    assert len(search(con, "order, NUMBER!")) == len(search(con, "order number"))  # one normalisation
    assert len(search(con, "rder")) == 0  # alphabetic text matches whole words
    only_won = search(con, "数据看板", Filter(outcomes=["won"]))
    assert set(only_won["outcome"]) == {"won"}
    with pytest.raises(FilterError, match="empty"):
        search(con, "  ")


def test_search_newest_first_reads_recent_weeks_first_and_finds_the_same(demo, monkeypatch):
    """``search`` looks in the newest week first and stops when it has ``limit`` matches: the rows
    are those of one search over the whole period, for every limit (filled in the first week, in
    the estimated stretch, or only by the whole period) and with a period of its own."""
    from analytics import search as search_mod

    _, _, con = demo
    periods = []
    whole = search_mod._search

    def spy(con, needle, flt, limit):
        periods.append(flt.since)
        return whole(con, needle, flt, limit)
    monkeypatch.setattr(search_mod, "_search", spy)
    cols = ["recording_id", "seg_index", "start_s"]
    for query, flt in (("三天", None), ("order number", None), ("数据看板", Filter(since=datetime(2026, 11, 1)))):
        n_all = len(whole(con, search_mod._needle(con, query), flt or Filter(), 10_000))
        assert n_all > 3
        for limit in (1, 3, n_all // 2, n_all, n_all + 5):
            periods.clear()
            got = search(con, query, flt, limit)
            expect = whole(con, search_mod._needle(con, query), flt or Filter(), limit)
            assert got[cols].equals(expect[cols]), (query, limit)
            if limit <= 3:  # found in the newest week: the whole period was never read
                assert periods[-1] is not None and (flt is None or periods[-1] > flt.since), (query, limit, periods)


_SIG_CON = duckdb.connect()
_SIG_CON.execute(NORM_TEXT_MACRO)
_SIG_CON.execute(TEXT_SIG_MACRO)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abAÉ 数据看板。,-Ω한" + "".join(map(chr, range(0x3040, 0x3050))), max_size=40),
       st.integers(0, 40), st.integers(1, 12), st.text(alphabet="abé 数据看한", min_size=1, max_size=4))
def test_text_signature_never_rules_out_a_real_match(text, start, length, other):
    # the signature prefilter may let non-matches through but must never drop a match, and the
    # text test (lower-cased text for a needle without spaces, words first for others) says what
    # contains() on the normalised text says: for a slice of the text and an unrelated needle
    con = _SIG_CON
    norm = con.execute("SELECT norm_text(?)", [text]).fetchone()[0]
    for needle in (norm[start:start + length], other):
        if not needle:
            continue
        got = con.execute(f"WITH s AS (SELECT ? AS text, text_sig(norm_text(?)) AS text_sig, ? AS needle) "
                          f"SELECT {sig_test('s', 's.needle')}, {text_test('s', 's.needle')} FROM s",
                          [text, text, needle]).fetchone()
        assert got[0] or needle not in norm
        assert got[1] == (needle in norm)


def test_heatmaps(demo):
    _, planted, con = demo
    v = time_profile(con, Filter(kinds=["service"]), bins=4, value="valence")
    assert v["bin"].between(0, 3).all() and v["valence"].between(-1, 1).all()
    latest = time_profile(con, Filter(kinds=["service"]), bins=4, value="valence", limit=5)
    newest = recording_summary(con, Filter(kinds=["service"]))["recording_id"][:5]  # newest first
    assert set(latest["recording_id"]) == set(newest)
    assert latest.equals(v[v["recording_id"].isin(newest)].reset_index(drop=True))
    s = time_profile(con, Filter(recording_ids=[planted.won[0]]), bins=5)
    assert s.groupby("bin")["share"].sum().round(6).eq(1.0).all()
    hw = hour_weekday(con, "ANGRY", Filter(kinds=["service"]))
    assert hw["with_tag"].sum() == len(planted.complaints) + len(planted.relief)
    teams = by_metadata(con, "team", Filter(kinds=["sales"]))
    assert {"Shenzhen", "Tokyo"} <= set(teams["value"]) and (teams["rate_per_min"] > 0).all()
    co = cooccurrence(con, Filter(kinds=["sales"]))
    top = co.iloc[0]
    assert {top["tag_a"], top["tag_b"]} == {"LAUGHTER", "SURPRISED"} and top["together"] == 20
    assert top["recordings"] == len(recording_summary(con, Filter(kinds=["sales"])))


def test_hour_weekday_from_the_per_recording_counts_equals_the_segment_scan(demo):
    """Without a segment condition the heatmap reads role_stats; naming every role forces the scan
    of segments, which must give the same cells."""
    _, _, con = demo
    roles = [r for (r,) in con.execute("SELECT DISTINCT role FROM seg WHERE role IS NOT NULL").fetchall()]
    assert con.execute("SELECT count(*) FROM seg WHERE role IS NULL").fetchone()[0] == 0
    for tag in ("ANGRY", "LAUGHTER", "HAPPY"):
        fast = hour_weekday(con, tag, Filter(kinds=["service", "sales"]))
        scan = hour_weekday(con, tag, Filter(kinds=["service", "sales"], roles=roles))
        assert fast["with_tag"].sum() > 0 and fast.equals(scan), tag


def test_a_heatmap_cell_lists_the_recordings_behind_its_number(demo):
    _, planted, con = demo
    service, sales = Filter(kinds=["service"]), Filter(kinds=["sales"])
    hw = hour_weekday(con, "ANGRY", service)
    for c in hw.itertuples():  # every cell: its recordings are its n, those with the tag its numerator
        recs = cell_recordings(con, "hour", c.weekday, c.hour, service, tag="ANGRY")
        assert len(recs) == c.recordings and (recs["count"] > 0).sum() == c.with_tag
    angry = pd.concat(cell_recordings(con, "hour", c.weekday, c.hour, service, tag="ANGRY") for c in hw.itertuples())
    assert set(angry.loc[angry["count"] > 0, "recording_id"]) == set(planted.complaints) | set(planted.relief)
    co = cooccurrence(con, sales).iloc[0]
    recs = cell_recordings(con, "cooccurrence", co["tag_a"], co["tag_b"], sales)
    assert recs["count"].sum() == co["together"] and set(recs["recording_id"]) <= set(planted.won)
    bm = by_metadata(con, "team", sales)
    for c in bm.itertuples():
        recs = cell_recordings(con, "metadata", c.value, c.tag, sales, key="team")
        assert recs["count"].sum() == c.count and len(recs) <= c.recordings
    rid = planted.won[0]
    segs = con.execute("SELECT start_s, end_s FROM seg WHERE recording_id = ?", [rid]).df()
    dur = con.execute("SELECT duration_s FROM recordings WHERE recording_id = ?", [rid]).fetchone()[0]
    in_bin = ((segs["start_s"] + segs["end_s"]) / 2 / dur * 5).astype(int).clip(upper=4)
    for b in range(5):
        recs = cell_recordings(con, "profile", rid, b, bins=5)
        assert list(recs["count"]) == ([int((in_bin == b).sum())] if (in_bin == b).any() else [])
    with pytest.raises(FilterError, match="unknown tag"):
        cell_recordings(con, "hour", 0, 9, tag="GRUMPY")
    with pytest.raises(FilterError, match="kind must be"):
        cell_recordings(con, "pie", 0, 9)


def test_filters_are_parameters_and_validated(demo):
    _, planted, con = demo
    evil = "x'); DROP TABLE recordings; --"
    where, params = recording_where(Filter(kinds=[evil], text=evil, metadata={"team": [evil]}))
    assert evil not in where and evil in str(params)
    assert con.execute(f"SELECT count(*) FROM recordings r WHERE {where}", params).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM recordings").fetchone()[0] == 112
    with pytest.raises(FilterError, match="unknown tag 'GRUMPY'"):
        recording_where(Filter(tags=["GRUMPY"]))
    with pytest.raises(FilterError, match="no recording has the key 'shop'"):
        by_metadata(con, "shop")
    with pytest.raises(FilterError, match="since"):
        parse_since("last tuesday")
    recent = recording_summary(con, Filter(since=parse_since("24h", planted_now()), kinds=["service"],
                                           tags=["ANGRY"]))
    assert set(recent["recording_id"]) == set(planted.recent_complaints)


def planted_now():
    from datetime import datetime
    return datetime(2026, 11, 24, 18, 0)


def test_empty_database_gives_empty_results_not_errors(tmp_path):
    from analytics.db import Data

    con = Data(tmp_path / "empty.duckdb").con
    assert recording_summary(con).empty and conversation_metrics(con).empty and search(con, "x").empty
    assert time_profile(con).empty and stuck_points(con).empty
    assert phrase_reactions(con, "hello")[1].empty
    with pytest.raises(FilterError, match="has no recordings"):
        compare_cohorts(con)


def test_the_sessions_page_shows_the_newest_and_counts_them_all(demo):
    _, _, con = demo
    for flt in (None, Filter(kinds=["service"]), Filter(tags=["ANGRY"])):
        every = recording_summary(con, flt)
        shown, total = recent_sessions(con, flt, limit=5)
        assert total == len(every) > 5
        assert shown.equals(every.head(5)[shown.columns])  # metadata columns: the keys these recordings have
    shown, total = recent_sessions(con, None)  # the default keeps a store of this size whole
    assert len(shown) == total


def test_the_export_page_shows_the_figures_of_the_newest_recordings(demo):
    """A year of calls is 200,000 rows of figures: the page shows the newest recordings' rows, the
    same as the whole table's first rows; its CSV has them all."""
    _, _, con = demo
    for flt in (None, Filter(kinds=["service"])):
        every = conversation_metrics(con, flt)
        newest = recording_summary(con, flt, 5)["recording_id"]
        shown = conversation_metrics(con, flt, limit=5)
        assert set(shown["recording_id"]) == set(newest) and every["recording_id"].nunique() > 5
        assert shown.reset_index(drop=True).equals(every.head(len(shown))[shown.columns].reset_index(drop=True))


def test_the_chinese_report_heads_every_table_in_chinese(demo):
    """The report's People table was headed person, hours, angry_low … in Chinese (issue 26)."""
    import re

    from analytics.report import html_report

    html = html_report(demo[2], lang="zh")
    heads = set(re.findall(r"<th>(.*?)</th>", html))
    assert len(heads) > 30
    assert sorted(h for h in heads if re.fullmatch(r"[\x00-\x7f]+", h)) == ["p"]  # explained below the table
    assert {"姓名", "95% 区间", "本人说话占比", "差异程度"} <= heads
