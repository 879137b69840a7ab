"""People's analyses on the demo data: a person's moments are the newest, found in their latest
recordings first (a year of calls is too many to read for five moments), and the scorecard reads
only the weeks it draws."""
import pytest

from analytics import people
from analytics.filters import Filter


@pytest.mark.parametrize("windows", [(1,), (1, 3), (2, 1000)])
def test_moments_found_in_the_newest_recordings_first_are_the_newest_of_all(demo, monkeypatch, windows):
    _, _, con = demo
    found = {}
    for name, newest_first in (("all", ()), ("windows", windows)):
        monkeypatch.setattr(people, "NEWEST_FIRST", newest_first)
        found[name] = ([people.moments(con, p, "agent") for p in people.people(con, "agent")["person"]]
                       + [people.class_moments(con, p) for p in people.teachers(con)["person"]])
    assert len(found["all"]) > 3
    for (best, worst), (b, w) in zip(found["all"], found["windows"]):
        assert best.equals(b) and worst.equals(w)
    # some moments are found beyond the first window: the wider look is taken
    assert sum(len(b) + len(w) for b, w in found["all"]) > 20


def test_moments_keep_the_filters_period(demo):
    _, _, con = demo
    person = people.people(con, "agent")["person"].iloc[0]
    best, worst = people.moments(con, person, "agent", limit=100)
    cut = sorted(con.execute("SELECT recorded_at FROM recordings").df()["recorded_at"])[-3]
    later = people.moments(con, person, "agent", Filter(since=cut.to_pydatetime()), limit=100)
    recorded = dict(con.execute("SELECT recording_id, recorded_at FROM recordings").fetchall())
    for every, shown in zip((best, worst), later):
        assert all(recorded[r] >= cut for r in shown["recording_id"])
        assert len(shown) < len(every) or every.empty


def test_the_scorecard_is_the_same_read_from_its_weeks_only(demo, monkeypatch):
    _, _, con = demo
    now = con.execute("SELECT max(recorded_at) FROM recordings").fetchone()[0]
    person = people.people(con, "agent")["person"].iloc[0]
    card = people.scorecard(con, person, "agent", now=now, weeks=2)
    monkeypatch.setattr(people, "_from", lambda flt, since: flt or Filter())  # read every week
    assert card.equals(people.scorecard(con, person, "agent", now=now, weeks=2))
    assert card["n"].sum() > 0


def test_each_person_counts_the_open_tickets_of_their_recordings(demo):
    from analytics.tickets import tickets

    _, _, con = demo
    table = people.people(con, "agent")
    agent = dict(con.execute("SELECT recording_id, value FROM metadata WHERE key = 'agent'").fetchall())
    expected = tickets(con, None, ["open"])["recording_id"].map(agent).value_counts()
    assert expected.sum() > 3
    got = table.set_index("person")["open_tickets"]
    assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()


def test_each_recordings_ingredients_match_a_plain_reading_of_its_segments_and_pauses(demo):
    """home.per_recording (the people, home and trend figures' ingredients) against pandas over the
    raw rows: a customer angry, silences of 5 s or more, the lead's share of the talk, the person, the team."""
    import math

    from analytics.home import CUSTOMER_ROLES, LEAD_ROLES, LONG_SILENCE_S, per_recording

    _, _, con = demo
    got = per_recording(con, split_key="agent").set_index("recording_id")
    segs = con.execute("SELECT recording_id, role, emotion, duration_s FROM segments").df()
    pauses = con.execute("SELECT p.recording_id, p.channel, p.duration_s, r.analysed_channels FROM pauses p "
                         "JOIN recordings r USING (recording_id)").df()
    meta = con.execute("SELECT recording_id, key, value FROM metadata").df()
    checked = 0
    for rid, row in got.iterrows():
        s = segs[segs["recording_id"] == rid]
        p = pauses[pauses["recording_id"] == rid]
        m = dict(meta[meta["recording_id"] == rid][["key", "value"]].values)
        assert row["angry"] == ((s["role"].isin(CUSTOMER_ROLES)) & (s["emotion"] == "ANGRY")).any()
        assert row["silences"] == ((p["duration_s"] >= LONG_SILENCE_S)
                                   & ((p["channel"] == -1) | (p["analysed_channels"] == 1))).sum()
        lead = s[s["role"].isin(LEAD_ROLES)]["duration_s"].sum() / s["duration_s"].sum() \
            if s["role"].isin(LEAD_ROLES).any() else None
        assert (lead is None and (row["lead_share"] is None or math.isnan(row["lead_share"]))) or \
            math.isclose(row["lead_share"], lead)
        assert [None if isinstance(v, float) and math.isnan(v) else v for v in (row["grp"], row["team"])] == \
            [m.get("agent"), m.get("team")]
        checked += 1
    assert checked > 50 and got["angry"].any() and got["silences"].gt(0).any() and got["grp"].notna().any()
