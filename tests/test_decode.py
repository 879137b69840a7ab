"""Decoding every common format with ffmpeg, stereo handling, and broken input."""
import subprocess

import numpy as np
import pytest
from synth import convert, write_wav

from ingest.decode import DecodeError, decode


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory, clips):
    return write_wav(tmp_path_factory.mktemp("dec") / "speech.wav", clips[0])


@pytest.mark.parametrize("ext,args", [
    ("mp3", []), ("m4a", ["-c:a", "aac"]), ("aac", ["-c:a", "aac"]), ("ogg", ["-c:a", "libvorbis"]),
    ("opus", ["-c:a", "libopus"]), ("flac", []), ("webm", ["-c:a", "libopus"]),
])
def test_formats_decode_to_16k(tmp_path, speech_wav, clips, ext, args):
    try:
        f = convert(speech_wav, tmp_path / f"s.{ext}", *args)
    except subprocess.CalledProcessError:
        pytest.skip(f"this ffmpeg cannot encode {ext}")
    a = decode(f)
    assert a.samples.shape[0] == 1 and a.samples.dtype == np.float32
    assert abs(a.duration_s - clips[0].size / 16000) < 0.1
    assert a.samples.std() > 0.02  # speech survived


def test_amr_nb_wechat_voice(tmp_path, speech_wav, clips):
    """AMR-NB, 8 kHz (WeChat voice messages). This ffmpeg decodes it but has no encoder: sox writes it."""
    f = tmp_path / "voice.amr"
    r = subprocess.run(["sox", str(speech_wav), "-r", "8000", "-c", "1", "-t", "amr-nb", str(f)], capture_output=True)
    if r.returncode:
        pytest.skip("sox here cannot write AMR-NB (install libsox-fmt-all)")
    a = decode(f)
    assert a.info.codec == "amr_nb" and abs(a.duration_s - clips[0].size / 16000) < 0.1
    assert a.samples.std() > 0.02


def test_video_audio_track(tmp_path, speech_wav):
    f = tmp_path / "call.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=2",
                    "-i", str(speech_wav), "-shortest", "-c:v", "libx264", "-c:a", "aac", str(f)], check=True)
    a = decode(f)
    assert a.info.codec == "aac" and a.duration_s > 1.0


def test_stereo_keeps_channels_and_mix_downmixes(tmp_path, stereo_layout):
    f = write_wav(tmp_path / "call.wav", stereo_layout.audio)
    a = decode(f)
    assert a.samples.shape[0] == 2 and not a.mixed
    left_only = stereo_layout.audio[0] != 0
    assert np.abs(a.samples[0][left_only[: a.samples.shape[1]]]).mean() > 0.01
    m = decode(f, mix=True)
    assert m.samples.shape[0] == 1 and m.mixed


def test_identical_channels_are_mono(tmp_path, clips):
    f = write_wav(tmp_path / "fake-stereo.wav", np.stack([clips[0], clips[0]]))
    a = decode(f)
    assert a.samples.shape[0] == 1 and a.mixed


def test_six_channels_and_8k_are_resampled_and_mixed(tmp_path, speech_wav):
    six = convert(speech_wav, tmp_path / "six.wav", "-ac", "6")
    assert decode(six).samples.shape[0] == 1
    low = convert(speech_wav, tmp_path / "low.wav", "-ar", "8000", "-ac", "2")
    a = decode(low)
    assert a.info.sample_rate == 8000 and a.samples.shape[0] == 1  # identical channels


def test_float_wav_with_nan_and_inf(tmp_path, clips):
    import wave  # noqa: F401  (float wav written by ffmpeg from raw f32)
    raw = clips[0].copy()
    raw[100:200] = np.nan
    raw[300] = np.inf
    src = tmp_path / "x.f32"
    raw.tofile(src)
    f = tmp_path / "nan.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "f32le", "-ar", "16000", "-ac", "1", "-i", str(src),
                    "-c:a", "pcm_f32le", str(f)], check=True)
    a = decode(f)
    assert np.isfinite(a.samples).all() and np.abs(a.samples).max() <= 1.0


@pytest.mark.parametrize("content,reason", [
    (b"", "empty file"),
    (b"this is a text file, not audio\n" * 20, "not a readable audio/video file"),
    (b"RIFF\xff\xff\xff\x7fWAVEfmt ", "not a readable audio/video file"),
])
def test_broken_files_have_clear_reasons(tmp_path, content, reason):
    f = tmp_path / "bad.wav"
    f.write_bytes(content)
    with pytest.raises(DecodeError, match=reason):
        decode(f)


def test_truncated_mp3_keeps_what_is_there(tmp_path, speech_wav):
    mp3 = convert(speech_wav, tmp_path / "full.mp3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 2])
    a = decode(cut)
    assert 0.5 < a.duration_s < decode(mp3).duration_s


def test_too_long_is_refused_before_decoding(tmp_path, speech_wav):
    with pytest.raises(DecodeError, match="too long"):
        decode(speech_wav, max_duration_s=1.0)


def test_missing_file(tmp_path):
    with pytest.raises(DecodeError, match="file not found"):
        decode(tmp_path / "nope.wav")
