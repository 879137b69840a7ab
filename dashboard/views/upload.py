"""Upload: many files at once (or a microphone take), with kind / outcome / batch / metadata or a
manifest; ingestion runs in the background worker and its progress survives a page reload."""
import pandas as pd
import streamlit as st

from analytics.alerts import notify
from dashboard import i18n, login, tables, ui
from dashboard.worker import ACCEPTED, UploadRefused

LANGS = ["auto", "zh", "en", "yue", "ja", "ko"]
AUDIO = [e for e in ACCEPTED if e != "csv"]
MAX_MB = st.get_option("server.maxUploadSize")  # .streamlit/config.toml

st.title(ui.tr("upload"))
if not login.may("upload"):  # the menu hides the page from those who may not upload; its address alone opens nothing
    st.error(login.read_only("upload"))
    st.stop()
ui.uploader_words(MAX_MB)
worker = ui.worker()
with st.form("upload_form", clear_on_submit=True):
    # any file: the server checks each (dashboard.worker) and says why it refuses one, where the widget's
    # own check showed only a red "!"
    files = st.file_uploader(ui.tr("files"), accept_multiple_files=True, key="up_files",
                             help=ui.tr("files_help", types=", ".join(AUDIO)))
    mic = st.audio_input(ui.tr("mic"), key="up_mic")
    c1, c2, c3 = st.columns(3)
    lg = ui.lang()  # the options' names computed now: Streamlit may format them after this run
    kinds = {k: i18n.value_name("kind", k, lg) for k in ("service", "sales", "class", "other")}
    outcomes = {"": ui.tr("outcome_none"), "won": i18n.value_name("outcome", "won", lg),
                "lost": i18n.value_name("outcome", "lost", lg)}
    languages = {x: ui.tr("lang_auto") if x == "auto" else x for x in LANGS}
    kind = c1.selectbox(ui.tr("kind"), list(kinds), key="up_kind", format_func=kinds.__getitem__)
    outcome = c2.selectbox(ui.tr("outcome"), list(outcomes), key="up_outcome", format_func=outcomes.__getitem__)
    language = c3.selectbox(ui.tr("lang_filter"), list(languages), key="up_lang", format_func=languages.__getitem__)
    batch = st.text_input(ui.tr("batch"), key="up_batch", max_chars=100)
    meta = st.text_input(ui.tr("meta_input"), key="up_meta", placeholder=ui.tr("meta_example"), max_chars=2000)
    manifest = st.file_uploader(ui.tr("manifest"), type=["csv"], key="up_manifest")
    # a second model hears the emotional segments again (ingest.second_opinion); its model:
    # TONEBOARD_EMOTION2VEC (hub id or local directory), else emotion2vec+ base from the hub
    second = st.checkbox(ui.tr("second_opinion_ask"), key="up_second", help=ui.tr("second_opinion_help"))
    go = st.form_submit_button(ui.tr("analyse"), type="primary")


def refusal(e: UploadRefused) -> str:
    name = ui.as_text(e.name)
    if e.mb is not None:
        return ui.tr("upload_too_big", name=name, mb=f"{e.mb:.0f}", limit=f"{e.limit_mb:.0f}")
    if not e.ext:
        return ui.tr("upload_no_ext", name=name, types=", ".join(AUDIO))
    return ui.tr("upload_wrong_type", name=name, ext=f".{e.ext}", types=", ".join(AUDIO))


def handle_upload() -> None:
    """Keep the files and queue the batch; every problem is a message on the page (a refused file's
    stays until the next upload: the page runs again when the batch ends)."""
    paths, refused = [], st.session_state.setdefault("_up_refused", [])
    refused.clear()
    for f in files or []:
        try:
            paths.append(worker.save_upload(f.name, f.getvalue(), MAX_MB))
        except UploadRefused as e:  # the widget takes any file: the server's check says why, in the page's language
            refused.append(refusal(e))
    if mic is not None:
        paths.append(worker.save_upload("microphone.wav", mic.getvalue(), MAX_MB))
    try:
        # Chinese names of the product's own keys (坐席=王芳) are those keys (agent=王芳): People finds them
        metadata = {i18n.meta_key_of(k.strip()): v.strip() for k, v in
                    (p.split("=", 1) for p in (x.strip() for x in meta.replace("，", ",").split(",")) if p)}
    except ValueError:
        metadata = None
        st.error(ui.tr("meta_bad"))
    if paths and metadata is not None:
        man = worker.save_upload("manifest.csv", manifest.getvalue(), MAX_MB) if manifest is not None else None
        if worker.busy():
            st.info(ui.tr("worker_busy"))
        worker.submit_upload(paths, batch or ui.tr("upload_batch_name", n=len(paths)), db=ui.db_path(), kind=kind,
                             outcome=outcome or None, batch_name=batch or None, metadata=metadata, manifest=man,
                             language=language, model=ui.model_id(),
                             emotion_second_opinion="emotional" if second else "off", emotion2vec=ui.emotion2vec_id())


if go:
    try:
        handle_upload()
    except (UploadRefused, OSError, ValueError) as e:  # a disk that is full, a name the system refuses …
        st.error(ui.tr("upload_failed", why=ui.as_text(f"{type(e).__name__}: {e}")))

for said in st.session_state.get("_up_refused", []):
    st.error(said)


def notifications() -> None:
    """Where new tickets will be announced after an upload, and any channel that cannot send (its
    secret not set in this process, say) — said here, before a batch finds out."""
    try:
        channels = notify.describe(notify.load_settings())
    except notify.NotifyError as e:
        st.warning(ui.tr("notify_broken", why=ui.as_text(e)))
        return
    if not channels:
        st.caption(ui.tr("notify_none"))
        return
    st.caption(ui.tr("notify_to", channels=", ".join(f"{ui.as_text(n)} ({t})" for n, t, p in channels if not p) or "–"))
    for name, _kind, problem in channels:
        if problem:
            st.warning(ui.tr("notify_cannot", name=ui.as_text(name), why=ui.as_text(problem)))


notifications()
for b in worker.interrupted():  # batches a crash or restart cut short: their uploads are kept
    c1, c2 = st.columns([5, 1], vertical_alignment="center")
    c1.warning(ui.tr("interrupted", name=ui.as_text(b["name"]), n=len(b["files"])))
    if c2.button(ui.tr("resume"), key=f"up_resume_{b['key']}"):
        worker.resume(b["key"])
        st.rerun()


@st.fragment(run_every=1.0)
def progress() -> None:
    # a batch that ended since the last look: the whole page runs again, so the banners (demo data, the
    # stand-in model's count) and the menu's figures say what it added, not only this progress list
    ended = {b.key for b in worker.batches.values() if b.status in ("finished", "failed")}
    seen = st.session_state.get("_up_ended")
    st.session_state["_up_ended"] = ended
    if seen is not None and ended - seen:
        st.rerun()
    for b in reversed(list(worker.batches.values())):
        total = max(len(b.files), 1)
        st.progress(b.files_done / total, text=f"{b.name}: " + ui.tr("progress", done=b.files_done, total=len(b.files))
                    + (f" — {b.current.rsplit('/', 1)[-1]}" if b.current else ""))
        if b.status == "finished":
            n = {s: sum(o["status"] == s for o in b.outcomes) for s in ("ingested", "skipped", "failed")}
            done = ui.tr("batch_done", ok=n["ingested"], skip=n["skipped"], fail=n["failed"])
            if n["failed"] and not (n["ingested"] or n["skipped"]):
                st.error(done)  # every file failed: not a success
            elif n["failed"]:
                st.warning(done)
            else:
                st.success(done)
        elif b.status == "failed":
            st.error(ui.as_text(b.error))
        if b.outcomes:
            tables.draw(pd.DataFrame(b.outcomes), ui.lang(), key=f"up_out_{b.key}")


progress()
