"""What every page shares: settings, the data snapshot, the language, the sidebar filters, CSV
buttons and the n shown under every result. Layout helpers only; queries live in analytics/."""
from __future__ import annotations

import os
import re
import threading
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics import scope
from analytics.db import Data
from analytics.export import to_csv
from analytics.filters import TAGS, Filter, FilterError, parse_since, validate
from analytics.options import FilterOptions, filter_options
from analytics.words import mmss  # noqa: F401 - pages call ui.mmss
from ingest.options import DEFAULT_DB, DEFAULT_MODEL

from . import i18n, session, tables

ROOT = Path(__file__).resolve().parent.parent
FEW = 5  # fewer recordings than this behind a rate: marked as uncertain


def db_path() -> Path:
    return Path(os.environ.get("TONEBOARD_DB", ROOT / DEFAULT_DB))


def model_id() -> str:
    return os.environ.get("TONEBOARD_MODEL", DEFAULT_MODEL)


def emotion2vec_id() -> str:
    """The second opinion's model for uploads (ingest.second_opinion): TONEBOARD_EMOTION2VEC, or the hub's."""
    from ingest.models.emotion2vec import EMOTION2VEC

    return os.environ.get("TONEBOARD_EMOTION2VEC", EMOTION2VEC)


@st.cache_resource(show_spinner=False)
def _data(path: str) -> tuple[Data, threading.Lock]:
    return Data(path), threading.Lock()


def data() -> Data:
    """The snapshot, brought up to date (cheap when nothing changed)."""
    d, lock = _data(str(db_path()))
    with lock:
        d.refresh()
    return d


def con():
    """A cursor of the snapshot for this script run (sessions run in parallel threads), that sees
    only what the person signed in may see (analytics.scope; set by login: nothing before)."""
    return scope.cursor(data().con, sees())


def sees() -> scope.Scope | None:
    """What the person signed in may see (set by login; None before: nothing)."""
    return st.session_state.get("scope")


def later(make, what: str | None = None):
    """``make(cursor)`` as a function to call when a download's button is pressed: that runs
    outside this script run, so it takes a cursor of its own then (``st.download_button`` data),
    with the same scope; ``what``: the export's name, written to the audit when it is made."""
    d, viewer_sees = data(), sees()
    noted = session.exported(str(db_path()), what) if what else (lambda: None)

    def made():
        noted()
        return make(scope.cursor(d.con, viewer_sees))
    return made


_MARKDOWN = re.compile(r"([!-/:-@\[-`{-~])")  # ASCII punctuation: each can be escaped in Markdown


def as_text(value) -> str:
    """Text from data or an address (a file name, a metadata value, a rule name, an error that
    quotes a link's value) made to show as itself where Streamlit renders Markdown: every ASCII
    punctuation mark escaped, so no link, image, heading, colour or icon comes of it."""
    return _MARKDOWN.sub(r"\\\1", "" if value is None else str(value))


def marked(text, words: str) -> str:
    """``as_text(text)`` with each place it says ``words`` (any case) in bold: the line a search found,
    with what it found standing out."""
    text, words = "" if text is None else str(text), (words or "").strip()
    if not words:
        return as_text(text)
    parts = re.split(f"({re.escape(words)})", text, flags=re.IGNORECASE)
    return "".join(f"**{as_text(p)}**" if i % 2 else as_text(p) for i, p in enumerate(parts))


LANGS = ("zh", "en")


def lang() -> str:
    """The page's language: the one chosen in this session; else the link's ``?lang=``; else the
    operator's default (``toneboard dashboard --lang``, TONEBOARD_LANG); else the browser's
    language (Chinese for zh-*, English otherwise; Chinese when the browser does not say)."""
    chosen = st.session_state.get("lang")
    if chosen in LANGS:
        return chosen
    linked = st.query_params.get("lang")
    if linked in LANGS:
        return linked
    if os.environ.get("TONEBOARD_LANG") in LANGS:
        return os.environ["TONEBOARD_LANG"]
    try:
        browser = st.context.locale
    except Exception:  # noqa: BLE001 - outside a browser session (bare script runs)
        browser = None
    if isinstance(browser, str) and browser:
        return "zh" if browser.lower().startswith("zh") else "en"
    return "zh"


def keep_lang_in_address() -> None:
    """The language stays with the session (a page switch drops the address's parameters) and in
    the address, so a reload, a copied link or a new tab opens in it."""
    current = lang()
    st.session_state["lang"] = current
    if st.query_params.get("lang") != current:
        st.query_params["lang"] = current


def tr(key: str, **kw) -> str:
    return i18n.t(key, lang(), **kw)


def uploader_words(max_mb: int) -> None:
    """Streamlit draws its file uploader's button ("Upload") and size note ("1GB per file") in English
    whatever the page's language; in Chinese, a style sheet shows them in Chinese instead."""
    if lang() != "zh":
        return
    size = f"{max_mb / 1024:g}GB" if max_mb >= 1024 else f"{max_mb}MB"
    zone = "[data-testid=stFileUploaderDropzone]"
    st.html(f"""<style>
      {zone} button [data-testid=stMarkdownContainer] p {{ font-size: 0 }}
      {zone} button [data-testid=stMarkdownContainer] p::after {{ content: "{tr('choose_files')}"; font-size: 0.875rem }}
      [data-testid=stFileUploaderDropzoneInstructions] span {{ font-size: 0 }}
      [data-testid=stFileUploaderDropzoneInstructions] span::after {{ content: "{tr('per_file', size=size)}"; font-size: 0.875rem }}
    </style>""")


def has(key: str) -> bool:
    """Whether the interface has a text for ``key`` (optional help, for instance)."""
    return key in i18n.STRINGS


def options() -> FilterOptions:
    return filter_options(con())


# The shared filters in the page's address (?outcome=won&tag=ANGRY&meta.team=Shenzhen): a link reopens the
# same view. Lists repeat their key (?kind=sales&kind=service).
URL_TEXT = {"since": "f_since", "text": "f_text"}
URL_LISTS = {"kind": "f_kinds", "outcome": "f_outcomes", "language": "f_languages", "role": "f_roles", "tag": "f_tags"}
META_PREFIX = "meta."


def _url_filters() -> dict[str, list[str]]:
    qp = st.query_params
    keys = [*URL_TEXT, *URL_LISTS, *(k for k in qp.keys() if k.startswith(META_PREFIX))]
    return {k: qp.get_all(k) for k in keys if qp.get_all(k)}


def _filters_from_url(opts: FilterOptions) -> None:
    """A link's filters become the sidebar's (once per new address: then the widgets rule)."""
    wanted = _url_filters()
    if wanted == st.session_state.get("_url_filters", {}):
        return
    st.session_state["_url_filters"] = wanted
    choices = {"f_kinds": opts.kinds, "f_outcomes": opts.outcomes, "f_languages": opts.languages,
               "f_roles": opts.roles, "f_tags": list(TAGS)}
    ignored = []
    for k, values in wanted.items():
        if k in URL_TEXT:
            st.session_state[URL_TEXT[k]] = values[0]
            continue
        if k in URL_LISTS:
            key, allowed = URL_LISTS[k], choices[URL_LISTS[k]]
        else:
            meta = k[len(META_PREFIX):]
            key, allowed = f"f_meta_{meta}", opts.metadata.get(meta, [])
        st.session_state[key] = [v for v in values if v in allowed]
        ignored += [f"{k}={v}" for v in values if v not in allowed]
    st.session_state["_url_ignored"] = ignored


def _filters_to_url(values: dict[str, list[str] | str]) -> None:
    for k, v in values.items():
        if v:
            st.query_params[k] = v
        elif k in st.query_params:
            del st.query_params[k]
    st.session_state["_url_filters"] = _url_filters()


def sidebar_filters(opts: FilterOptions) -> Filter | None:
    from dashboard.qa_filter import quality_filter

    """The shared filters (kept in session state across pages, and in the address); None if one is invalid."""
    _filters_from_url(opts)
    sb = st.sidebar
    sb.subheader(tr("filters"))
    if st.session_state.get("_url_ignored"):
        sb.warning(tr("url_ignored", what=as_text(", ".join(st.session_state["_url_ignored"]))))
    since = sb.text_input(tr("since"), key="f_since")
    choose, lg = tr("choose"), lang()  # computed now: Streamlit may format options later
    kinds = sb.multiselect(tr("kind"), opts.kinds, key="f_kinds", placeholder=choose,
                           format_func=lambda x: i18n.value_name("kind", x, lg))
    outcomes = sb.multiselect(tr("outcome"), opts.outcomes, key="f_outcomes", placeholder=choose,
                              format_func=lambda x: i18n.value_name("outcome", x, lg))
    languages = sb.multiselect(tr("lang_filter"), opts.languages, key="f_languages", placeholder=choose)
    roles = sb.multiselect(tr("role"), opts.roles, key="f_roles", placeholder=choose,
                           format_func=lambda x: i18n.role_name(x, lg))
    tags = sb.multiselect(tr("tags"), list(TAGS), key="f_tags", placeholder=choose,
                          format_func=lambda x: i18n.emotion_name(x, lg))
    text = sb.text_input(tr("text"), key="f_text")
    meta = {}
    for k, values in opts.metadata.items():
        chosen = sb.multiselect(f"{tr('meta')}: {as_text(i18n.meta_key_name(k, lg))}", values, key=f"f_meta_{k}",
                                placeholder=choose)
        if chosen:
            meta[k] = chosen
    below = quality_filter(sb, lg, con())
    stale = {k for k in st.query_params.keys() if k.startswith(META_PREFIX) and k[len(META_PREFIX):] not in meta}
    _filters_to_url({"since": since.strip(), "text": text.strip(), "kind": kinds, "outcome": outcomes,
                     "language": languages, "role": roles, "tag": tags,
                     **{META_PREFIX + k: v for k, v in meta.items()}, **dict.fromkeys(stale, [])})
    try:
        f = Filter(since=parse_since(since) if since.strip() else None, kinds=kinds, outcomes=outcomes,
                   languages=languages, roles=roles, tags=tags, text=text.strip() or None, metadata=meta,
                   recording_ids=below or [])
        validate(f)
        st.session_state.pop("filter_error", None)
        return f
    except FilterError as e:
        sb.error(tr("bad_filter", e=as_text(e)))
        st.session_state["filter_error"] = str(e)  # the page says it too, at the top, not "nothing matches"
        return None


def thresholds_set(limits: dict[str, float]) -> str:
    """The thresholds a team changed from the default, in the page's language ("ANGRY ≥ 0.80, …"; "" if none)."""
    from analytics import confidence

    return ", ".join(f"{i18n.tag_name(t, lang())} ≥ {v:.2f}" for t, v in sorted(confidence.differing(limits).items()))


def counted_note() -> None:
    """Say how sure a tag must be to count in the page's figures (analytics.confidence)."""
    from analytics import confidence

    other = thresholds_set(confidence.thresholds(con()))
    st.caption(tr("counted_note", default=f"{confidence.DEFAULT_THRESHOLD:.2f}", others=tr("counted_others", tags=other) if other else ""))


def n_caption(n: int) -> None:
    st.caption(tr("n_note", n=n) + (f" · ⚠ {tr('few_note')}" if 0 < n < FEW else ""))


TIMELINE = ROOT / "dashboard" / "views" / "timeline.py"
REVIEW = ROOT / "dashboard" / "views" / "review.py"


ROWS_SHOWN = tables.MAX_SHOWN  # rows a long table of a year (stuck points, classes) shows: its CSV has them all


def table(df: pd.DataFrame, name: str, opens_timeline: bool = False, empty: str | None = None,
          every=None, newest: bool = False, **kw) -> None:
    """A dataframe with its CSV download beside it, the file made when the button is pressed. With
    ``opens_timeline`` (a ``recording_id`` column), clicking a row opens that recording's timeline.
    ``empty``: what to say when there are no rows (default: nothing matches the filters). ``every``:
    when the table shows only some rows (the newest), a function giving all of them for the CSV.
    ``newest``: show at most ROWS_SHOWN rows, the newest by ``recorded_at`` (in the table's order),
    and say so; the CSV has every row (drawing a year's 30,000 rows took a second)."""
    if df is None or df.empty:
        st.info(empty or tr("no_match"))
        return
    if newest and len(df) > ROWS_SHOWN:
        st.caption(tr("rows_shown", shown=ROWS_SHOWN, n=len(df)))
        every = every or (lambda full=df: full)
        df = newest_rows(df)
    if opens_timeline:
        key = f"tbl_{name}"

        def clicked() -> None:  # runs once per new selection, before the rerun
            rows = st.session_state[key].selection.rows
            if rows:
                st.session_state["_open_recording"] = df.iloc[rows[0]]["recording_id"]
        kw.update(key=key, on_select=clicked, selection_mode="single-row")
    tables.draw(df, lang(), rule_names(), **kw)
    if opens_timeline and (rid := st.session_state.pop("_open_recording", None)):
        goto_timeline(rid)
    noted = session.exported(str(db_path()), name)
    st.download_button(tr("download_csv"), lambda: (noted(), to_csv(every() if every else df))[1],
                       file_name=f"{name}-{datetime.now():%Y%m%d-%H%M}.csv", mime="text/csv", key=f"csv_{name}",
                       on_click="ignore")


def newest_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The ROWS_SHOWN newest rows of ``df`` by ``recorded_at``, in its order."""
    return df[df["recorded_at"].rank(method="first", ascending=False) <= ROWS_SHOWN] if len(df) > ROWS_SHOWN else df


def open_timeline(df: pd.DataFrame, key: str) -> None:
    """A recording picker (the rows of ``df``) and a button that opens its timeline."""
    if df is None or df.empty:
        return
    labels = recording_labels(df["recording_id"], df["filename"])
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    pick = c1.selectbox(tr("open_timeline"), list(labels), key=f"{key}_pick", format_func=labels.__getitem__)
    if c2.button(tr("timeline"), key=f"{key}_open"):
        goto_timeline(pick)


def recording_labels(ids, filenames) -> dict[str, str]:
    """Each recording by its file name; the id's start only tells apart files of the same name."""
    names = dict(zip(ids, filenames))
    seen = pd.Series(list(names.values()))
    twice = set(seen[seen.duplicated()])
    return {r: f"{n} ({r[:8]})" if n in twice else str(n) for r, n in names.items()}


def goto_timeline(recording_id: str, at_s: float | None = None) -> None:
    """Open the timeline page on this recording (at the segment playing at ``at_s``)."""
    st.session_state["recording_id"] = recording_id
    if at_s is not None:
        st.session_state["tl_at"] = (recording_id, float(at_s))
    st.switch_page(str(TIMELINE))


def goto_review(recording_id: str, form_id: str, round_: str | None = None) -> None:
    """Open the review page on this call's answers to this form (blind, in a calibration round)."""
    st.session_state["qa_call"] = (recording_id, form_id, round_)
    st.switch_page(str(REVIEW))


def page_filter() -> Filter:
    """The shared filter for this page; stops the page with a message when there is none (an empty
    database, or an invalid filter whose error the sidebar shows)."""
    flt = st.session_state.get("filter")
    if flt is None:
        if st.session_state.get("filter_error"):
            st.error(tr("bad_filter", e=as_text(st.session_state["filter_error"])))
        else:
            st.info(tr("first_run") if not st.session_state["options"].recordings else tr("no_match"))
        st.stop()
    return flt


@st.cache_data(show_spinner=False)
def _rule_names(path: str, stamp: int, lang_: str) -> dict[str, str]:
    from analytics.alerts.rules import rule_names as names_in

    return names_in(Path(path), lang_)


def rule_names() -> dict[str, str]:
    """Each rule's name in the chosen language (rules may name themselves in Chinese: ``names: {zh: …}``);
    the rules file is read again only when it changes."""
    path = rules_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _rule_names(str(path), stamp, lang())


def rule_name(rule_id: str, stored: str) -> str:
    """The rule's name in the chosen language, else the name stored with the ticket."""
    return rule_names().get(rule_id, stored)


def rules_path() -> Path:
    from analytics.alerts.rules import DEFAULT_RULES
    return Path(os.environ.get("TONEBOARD_RULES", DEFAULT_RULES))


@st.cache_resource(show_spinner=False)
def _worker(db: str, model: str):
    from .worker import IngestWorker
    return IngestWorker(db)  # one per database and model (the cache key)


def worker():
    """The process's ingestion worker (one per database; survives page reloads)."""
    return _worker(str(db_path()), model_id())
