"""Regenerate the bundled sample recordings (espeak-ng speech; needs espeak-ng and ffmpeg).

    python data/samples/make_samples.py

They are synthetic: enough to see toneboard work end to end, not to judge emotions.
"""
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))

from synth import compose, convert, speak, stereo, write_wav  # noqa: E402

AGENT = ["Hello, thank you for calling customer service.", "I am sorry to hear that, let me check.",
         "The refund will appear on your card within five working days."]
CUSTOMER = ["My order has not arrived and it has been three days.", "That is not good enough, I need it tomorrow."]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        a = [speak(s) for s in AGENT]
        c = [speak(s, voice="en-us", speed=175) for s in CUSTOMER]
        sec = lambda x: x.size / 16000  # noqa: E731
        agent = compose([(0.0, a[0]), (sec(c[0]) + 1.0, a[1]), (sec(c[1]) + 1.5, a[2])], lead_s=0.5)
        customer = compose([(sec(a[0]) + 0.4, c[0]), (sec(a[1]) + 1.1, c[1])], lead_s=0.5)
        call = write_wav(tmp / "call.wav", stereo(agent, customer).audio)
        convert(call, HERE / "service-call-en.ogg", "-c:a", "libvorbis", "-q:a", "1")

        zh = compose([(0.0, speak("ni3 hao3, huan1 ying2 can1 jia1 chan3 pin3 yan3 shi4", "cmn-latn-pinyin")),
                      (1.5, speak("shu4 ju4 kan4 ban3 zhi1 chi2 zi4 ding4 yi4 wei2 du4", "cmn-latn-pinyin")),
                      (2.5, speak("zhe4 ge4 gong1 neng2 fei1 chang2 hao3", "cmn-latn-pinyin"))])
        convert(write_wav(tmp / "zh.wav", zh.audio), HERE / "sales-demo-zh.mp3", "-b:a", "32k")

        yue = compose([(0.0, speak("呢條題目邊個識答？", "yue")), (3.0, speak("好，我哋再講一次。", "yue"))])
        convert(write_wav(tmp / "yue.wav", yue.audio), HERE / "class-yue.m4a", "-c:a", "aac", "-b:a", "32k")

        ko = compose([(0.0, speak("안녕하세요, 무엇을 도와드릴까요?", "ko")), (1.0, speak("주문이 아직 안 왔어요.", "ko"))])
        convert(write_wav(tmp / "ko.wav", ko.audio), HERE / "service-ko.opus", "-c:a", "libopus", "-b:a", "24k")

        ja = compose([(0.0, speak("こんにちは、きょうは よろしく おねがいします。", "ja")),
                      (1.2, speak("この きのうは とても べんりです。", "ja"))])
        convert(write_wav(tmp / "ja.wav", ja.audio), HERE / "sales-demo-ja.flac", "-sample_fmt", "s16", "-ar", "16000")


if __name__ == "__main__":
    main()
