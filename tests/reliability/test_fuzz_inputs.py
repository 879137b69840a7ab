"""Hostile filters, searches and rules: whatever a user types reaches DuckDB as a parameter, and the
only exception that can come out is a clear validation error (a ValueError: FilterError, RuleError)."""
import duckdb
from hypothesis import HealthCheck, given, settings, strategies as st

from analytics.alerts.evaluation import evaluate
from analytics.alerts.rules import load_rules
from analytics.classroom import stuck_points
from analytics.compare import compare_cohorts
from analytics.filters import TAGS, Filter, parse_since
from analytics.heatmaps import by_metadata, cell_recordings, cooccurrence, hour_weekday
from analytics.metrics import recording_summary
from analytics.reactions import phrase_reactions
from analytics.search import search

NASTY = ["'", "''", "\"", ";", "--", "/*", "*/", "%", "_", "\\", "\x00", "\n", "' OR 1=1 --",
         "'); DROP TABLE recordings; --", "$1", "?", "{}", "[]", "语气", "😀", "\u202e", "a" * 300]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
texts = st.lists(text, max_size=3)

filters = st.builds(
    Filter, kinds=texts, outcomes=texts, languages=texts, roles=texts, batch_ids=texts, recording_ids=texts,
    tags=st.lists(st.one_of(st.sampled_from(TAGS), text), max_size=2),
    text=st.one_of(st.none(), text),
    metadata=st.dictionaries(st.one_of(st.sampled_from(["team", "agent", "course"]), text), texts, max_size=2))

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _intact(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT count(*) FROM recordings").fetchone()[0] == 112


@FUZZ
@given(flt=filters, words=text)
def test_filters_and_searches_never_escape_as_anything_but_validation_errors(demo, flt, words):
    _, _, con = demo
    cur = con.cursor()
    calls = [lambda: recording_summary(cur, flt), lambda: search(cur, words, flt),
             lambda: phrase_reactions(cur, words, flt), lambda: hour_weekday(cur, "ANGRY", flt),
             lambda: cooccurrence(cur, flt), lambda: stuck_points(cur, flt),
             lambda: by_metadata(cur, words, flt), lambda: cell_recordings(cur, "hour", 1, 9, flt, tag=words),
             lambda: cell_recordings(cur, "metadata", words, "ANGRY", flt, key="team"),
             lambda: compare_cohorts(cur, flt, Filter(outcomes=["lost"]))]
    for call in calls:
        try:
            call()
        except ValueError as e:
            assert str(e)  # a message for the user
    _intact(cur)


@FUZZ
@given(value=text)
def test_since_is_a_date_or_a_clear_error(value):
    try:
        parse_since(value)
    except ValueError as e:
        assert "since" in str(e)


leaf = st.one_of(text, st.integers(-5, 100), st.floats(allow_nan=True), st.booleans(), st.none(),
                 st.sampled_from(list(TAGS)))
rule_parts = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.one_of(st.sampled_from(["segments", "pauses", "emotion", "role", "tags", "at_least", "none",
                                               "not", "near", "a", "b", "within", "share", "event", "over",
                                               "longer_than", "after_last", "first_s", "all", "any"]), text),
                    inner, max_size=3)), max_leaves=12)
rules_doc = st.fixed_dictionaries({"rules": st.lists(st.fixed_dictionaries(
    {"id": text, "name": text, "severity": st.sampled_from(["low", "medium", "high", "x"]), "all": rule_parts}),
    max_size=2)})


@FUZZ
@given(doc=rules_doc, raw=text)
def test_rules_are_valid_or_a_clear_error_and_valid_ones_evaluate(demo, doc, raw):
    import yaml

    _, _, con = demo
    cur = con.cursor()
    for source in (yaml.safe_dump(doc, allow_unicode=True), raw + "\n"):
        try:
            rules = load_rules(source)
        except ValueError as e:
            assert str(e)
            continue
        try:
            evaluate(cur, rules)
        except ValueError as e:  # e.g. a metadata key no recording has
            assert str(e)
    _intact(cur)
