"""Personal data in transcripts is found (also when spoken digit by digit in Chinese) and redacted at
ingest unless the original is asked for; the audio player gets a copy with those segments muted."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from ingest.pii import find, id_number_valid, luhn_valid, muted_copy, redact

ID = "11010519491231002X"  # a valid check digit (the standard's example)


def test_checksums():
    assert id_number_valid(ID) and id_number_valid(ID.lower())
    assert not id_number_valid("110105194912310021")  # wrong check digit
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


@pytest.mark.parametrize("text,kinds,kept", [
    ("我的手机号是13812345678,谢谢", ["PHONE"], "我的手机号是[PHONE],谢谢"),
    ("call me on +86 138 1234 5678 please", ["PHONE"], "call me on +[PHONE] please"),
    ("座机 010-62345678 找王经理", ["PHONE"], "座机 [PHONE] 找王经理"),
    ("电话幺三八一二三四五六七八", ["PHONE"], "电话[PHONE]"),
    (f"身份证号{ID}", ["ID"], "身份证号[ID]"),
    ("card 4111 1111 1111 1111 expires", ["CARD"], "card [CARD] expires"),
    ("邮箱 li.wei@example.com.cn 或 zhang 艾特 qq 点 com", ["EMAIL"], "邮箱 [EMAIL] 或 [EMAIL]"),
    ("订单 2026-11-24 送达,金额 12345 元,工号 700123", [], None),
    ("110105194912310021 不是身份证;4111111111111112 不是卡号", [], None),
    ("一二三四五六七", [], None),
])
def test_find_and_redact(text, kinds, kept):
    red, found = redact(text)
    assert found == kinds
    assert red == (kept if kept is not None else text)


@given(st.text(alphabet="0123456789 -.X一二三幺八九@ab点", max_size=60))
def test_redact_never_raises_and_leaves_no_finding_behind(text):
    red, _ = redact(text)
    assert find(red) == []  # nothing found is left in the redacted text


def test_pipeline_redacts_by_default_and_keeps_when_asked(tmp_path, mono_layout):
    from doubles import FixedTextRecognizerDouble
    from synth import write_wav

    from analytics.db import Data
    from ingest.batch.pipeline import IngestOptions, ingest_paths

    f = write_wav(tmp_path / "call.wav", mono_layout.audio)
    said = "<|zh|><|NEUTRAL|><|Speech|><|withitn|>我的手机号是13812345678。"
    for keep, db in ((False, tmp_path / "red.duckdb"), (True, tmp_path / "kept.duckdb")):
        ingest_paths([f], IngestOptions(db=db, keep_pii=keep), recognizer=FixedTextRecognizerDouble(said))
        rows = Data(db).con.execute("SELECT text, raw_text, pii FROM segments").fetchall()
        assert rows and all(p == ["PHONE"] for _, _, p in rows)
        for text, raw, _ in rows:
            assert ("13812345678" in text and "13812345678" in raw) if keep else \
                ("13812345678" not in text + raw and "[PHONE]" in text and "[PHONE]" in raw)


def test_muted_copy_silences_the_spans(tmp_path):
    from synth import SR, write_wav

    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(3 * SR) / SR).astype(np.float32)
    src = write_wav(tmp_path / "tone.wav", tone)
    out = muted_copy(src, [(1.0, 2.0)], tmp_path / "muted.wav")
    import wave
    with wave.open(str(out)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    assert np.abs(pcm[int(1.1 * SR):int(1.9 * SR)]).max() < 1e-3  # muted
    assert np.abs(pcm[int(0.1 * SR):int(0.9 * SR)]).max() > 0.4 and np.abs(pcm[int(2.1 * SR):]).max() > 0.4
