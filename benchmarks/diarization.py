"""Who spoke, measured: diarization error rate (DER, 0.25 s collar, overlap excluded) and speaker-count
accuracy on conversations assembled from real human speech that ships in Debian packages
(tests/realspeech.py: Asterisk's IVR voice, a Mandarin syllable speaker, a LibriVox reader, ALSA's
prompts), at 16 kHz and through the 8 kHz telephone band, with 2 and 3 speakers and turns of 1-15 s;
role accuracy on calls that open with an agent's greeting; voiceprint similarities; and the cost
of diarization in a full ingest (full-size random-weight SenseVoiceSmall, 2 threads).

The speaker model is Resemblyzer's voice encoder (real weights). The conversations here use seeds
100 and up; the merge threshold in ingest/speakers/diarize.py was chosen on seeds 0-13 (not reported).

    .venv/bin/python benchmarks/diarization.py --conversations 20 --cost-minutes 10
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def der_table(n: int) -> list[str]:
    import numpy as np
    from realspeech import conversation, der

    from ingest.models.speaker_encoders import VoiceEncoder
    from ingest.models.vad import VadSettings, load_vad
    from ingest.speakers.diarize import diarize

    vad, enc = load_vad(VadSettings()), VoiceEncoder()
    pairs = [["allison", "gcin"], ["allison", "librivox"], ["gcin", "librivox"], ["allison", "alsa"], ["gcin", "alsa"]]
    rows = ["| speakers | band | count given | conversations | audio | DER | missed | false alarm | confusion | right count |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for k in (2, 3):
        for band in ("16k", "8k"):
            convs = []
            for i in range(n if k == 2 else max(4, n // 2)):
                voices = pairs[i % len(pairs)] if k == 2 else ["allison", "gcin", "librivox"]
                c = conversation(voices, seconds=90 if k == 2 else 120, seed=100 + i, band=band)
                convs.append((c, vad.speech_spans(c.audio)))
            for given in (None, k):
                res = [der(c.turns, diarize(c.audio, spans, enc, given).parts) for c, spans in convs]
                audio_min = sum(len(c.audio) for c, _ in convs) / 16000 / 60
                mean = {m: float(np.mean([r[m] for r in res])) for m in ("der", "missed", "false_alarm", "confusion")}
                right = np.mean([r["speakers_hyp"] == k for r in res])
                rows.append(f"| {k} | {band} | {given or 'auto'} | {len(res)} | {audio_min:.1f} min | "
                            f"**{mean['der']:.1%}** | {mean['missed']:.1%} | {mean['false_alarm']:.1%} | "
                            f"{mean['confusion']:.1%} | {right:.0%} |")
                print(rows[-1], flush=True)
    return rows


def voiceprint_similarities() -> list[str]:
    """Same person (enrolled on some clips, matched on a conversation's speaker) vs different people."""
    import numpy as np
    from realspeech import clips, conversation

    from ingest.models.speaker_encoders import VoiceEncoder
    from ingest.models.vad import VadSettings, load_vad
    from ingest.speakers.diarize import diarize

    vad, enc = load_vad(VadSettings()), VoiceEncoder()
    enrolled = {}
    for v in ("allison", "gcin", "librivox", "alsa"):
        cs = clips(v)
        part = list(cs[-12:]) if v not in ("librivox", "alsa") else list(cs[:2])
        e = enc.embed([c for c in part]).mean(axis=0)
        enrolled[v] = e / np.linalg.norm(e)
    same, diff = [], []
    pairs = [["allison", "gcin"], ["gcin", "librivox"], ["allison", "alsa"], ["allison", "librivox"]]
    for i in range(8):
        voices = pairs[i % len(pairs)]
        c = conversation(voices, seconds=60, seed=200 + i)
        d = diarize(c.audio, vad.speech_spans(c.audio), enc, 2)
        for s, cent in enumerate(d.centroids):
            mids = [(b + e) / 2 for b, e, k in d.parts if k == s]
            truth = max(voices, key=lambda v: sum(any(tb <= m <= te for tb, te, tv in c.turns if tv == v) for m in mids))
            for v, e in enrolled.items():
                (same if v == truth else diff).append(float(cent @ e))
    return [f"- same person: {len(same)} pairs, similarity {min(same):.2f}-{max(same):.2f} (median {np.median(same):.2f})",
            f"- different people: {len(diff)} pairs, similarity {min(diff):.2f}-{max(diff):.2f} (median {np.median(diff):.2f})"]


def online_attribution(n: int) -> list[str]:
    """Live mono calls: each VAD segment alone against the agent's enrolled voice (ingest.speakers.attribute)."""
    import numpy as np
    from realspeech import SR, clips, conversation

    from ingest.models.speaker_encoders import VoiceEncoder
    from ingest.models.vad import VadSettings, load_vad, split_long
    from ingest.speakers.attribute import OnlineAttributor
    from ingest.store.voiceprints import Voiceprint

    vad, enc = load_vad(VadSettings()), VoiceEncoder()
    out = ["| agent / customer | segments | right | wrong | left mixed |", "|---|---:|---:|---:|---:|"]
    for agent, customer in [("allison", "gcin"), ("allison", "librivox"), ("gcin", "allison"), ("gcin", "alsa")]:
        cs = clips(agent)
        e = enc.embed(list(cs[-12:]) if agent != "librivox" else list(cs[:2])).mean(axis=0)
        att = OnlineAttributor(enc, [Voiceprint(agent, enc.kind, enc.name, e / np.linalg.norm(e), 0, 1, None)],
                               ("agent", "customer"))
        counts = {"right": 0, "wrong": 0, "mixed": 0}
        for i in range(n):
            c = conversation([agent, customer], seconds=60, seed=700 + i)
            for b, e2 in split_long(vad.speech_spans(c.audio), 30.0):
                said = {v for tb, te, v in c.turns if min(te, e2) - max(tb, b) > 0}
                if len(said) != 1:
                    continue  # the offline VAD joined two turns: not a single-speaker segment
                role = att.attribute(c.audio[int(b * SR):int(e2 * SR)]).role
                truth = "agent" if said == {agent} else "customer"
                counts["mixed" if role == "mixed" else "right" if role == truth else "wrong"] += 1
        total = sum(counts.values())
        out.append(f"| {agent} / {customer} | {total} | {counts['right'] / total:.1%} | {counts['wrong'] / total:.1%} | "
                   f"{counts['mixed'] / total:.1%} |")
    return out


GREETING_ZH = ("ㄋㄧㄣ2 ㄏㄠ3 ㄏㄣ3 ㄍㄠ ㄒㄧㄥ4 ㄨㄟ4 ㄋㄧㄣ2 ㄈㄨ2 ㄨ4", "您好，很高兴为您服务")


def role_accuracy(n: int) -> list[str]:
    """Calls where the customer speaks first and the agent then greets (zh: the Mandarin speaker's
    syllables of 您好很高兴为您服务; en: Allison's "Thank you for calling Super Awesome Company"),
    then talk on. Diarized from the audio; the words are the transcript (SenseVoice's real weights
    cannot be fetched here), so this measures diarization + the opening-line rule, not recognition."""
    import numpy as np
    from realspeech import SOURCES, SR, clips, conversation, load

    from ingest.models.speaker_encoders import VoiceEncoder
    from ingest.models.vad import VadSettings, load_vad
    from ingest.speakers.diarize import diarize
    from ingest.speakers.roles import lead_speaker, load_openings

    vad, enc, openings = load_vad(VadSettings()), VoiceEncoder(), load_openings(None)
    gcin_root = SOURCES["gcin"][0]
    gap = np.zeros(int(0.06 * SR), np.float32)
    zh = np.concatenate([p for syl in GREETING_ZH[0].split() for p in (load(gcin_root / syl / "3.ogg"), gap)])
    ivr = load(SOURCES["allison"][0] / "basic-pbx-ivr-main.gsm")[:int(3.2 * SR)]  # "Thank you for calling Super Awesome Company"
    setups = {"zh greeting (agent: Mandarin speaker, customer: Allison)":
              ("gcin", "allison", zh, GREETING_ZH[1], load(SOURCES["allison"][0] / "hello.gsm"), "hello"),
              "en greeting (agent: Allison, customer: LibriVox reader)":
              ("allison", "librivox", ivr, "Thank you for calling Super Awesome Company", clips("librivox")[0],
               "hi, I'm calling about my order")}
    out = ["| setup | calls | agent found by the opening line | by 'speaks first' |", "|---|---:|---:|---:|"]
    for name, (agent, customer, greet, greet_text, first, first_text) in setups.items():
        right = first_right = 0
        for i in range(n):
            pause = np.zeros(int(0.6 * SR), np.float32)
            rest = conversation([agent, customer], seconds=40, seed=500 + i)
            audio = np.concatenate([pause, first, pause, greet, pause, rest.audio]).astype(np.float32)
            t_greet = (len(pause) * 2 + len(first)) / SR
            d = diarize(audio, vad.speech_spans(audio), enc, None)
            labels: dict[int, str] = {}
            said, talk = [], {}
            for b, e, k in d.parts:
                lab = labels.setdefault(k, f"S{len(labels) + 1}")
                talk[lab] = talk.get(lab, 0.0) + e - b
                text = (greet_text if b < t_greet + len(greet) / SR and e > t_greet + 0.2
                        else first_text if e <= t_greet else "")
                said.append((lab, b, text))
            truth = next((lab for b, e, k in d.parts for lab in [labels[k]]
                          if b < t_greet + len(greet) / SR and e > t_greet + 0.2), None)
            lead, _ = lead_speaker(said, "service", openings, talk)
            right += lead is not None and lead == truth
            first_right += said[0][0] == truth
        out.append(f"| {name} | {n} | {right / n:.0%} | {first_right / n:.0%} |")
    return out


def cost(minutes: float, threads: int) -> list[str]:
    """Ingest the same 2-speaker audio with speakers off and on (full-size model), stage times."""
    import numpy as np
    from realspeech import conversation
    from sensevoice_random import build_model_dir
    from synth import write_wav

    from ingest.batch.pipeline import IngestOptions, ingest_paths

    model = build_model_dir(ROOT / ".cache" / "random-sensevoice-full", "full")
    tmp = Path(tempfile.mkdtemp())
    files = []
    pairs = [["allison", "gcin"], ["allison", "librivox"], ["gcin", "alsa"]]
    n = max(1, int(round(minutes / 2)))
    for i in range(n):
        c = conversation(pairs[i % 3], seconds=minutes * 60 / n, seed=300 + i)
        files.append(write_wav(tmp / f"call{i}.wav", c.audio))
    audio_min = sum(len(np.frombuffer(f.read_bytes()[44:], np.int16)) for f in files) / 16000 / 60
    out = {}
    for label, speakers in (("off", "off"), ("auto", "auto"), ("off again", "off")):
        t0 = time.perf_counter()
        r = ingest_paths(files, IngestOptions(db=tmp / f"{label}.duckdb", device="cpu", threads=threads, model=str(model),
                                              speakers=speakers, speaker_model="voice-encoder"))
        out[label] = (time.perf_counter() - t0, r.times)
        print(label, f"{out[label][0]:.1f} s", r.times.line(), flush=True)
    base = (out["off"][0] + out["off again"][0]) / 2
    on, times = out["auto"]
    return [f"{audio_min:.1f} min of 2-speaker speech in {n} files, full-size model, {threads} threads:",
            "", "| speakers | wall time | speakers stage | stages |", "|---|---|---|---|",
            f"| off (mean of 2 runs) | {base:.1f} s | — | {out['off'][1].line()} |",
            f"| auto | {on:.1f} s | {times.speakers_s:.1f} s | {times.line()} |", "",
            f"Diarization adds **{(on - base) / base:+.1%}** to the ingest's wall time "
            f"(its own stage: {times.speakers_s / base:.1%} of the ingest without it)."]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=20, help="2-speaker conversations per band")
    ap.add_argument("--cost-minutes", type=float, default=10.0, help="audio for the cost run (0: skip)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--live-calls", type=int, default=8, help="calls per voice pair for live attribution")
    ap.add_argument("--role-calls", type=int, default=10, help="calls per greeting language for role accuracy")
    a = ap.parse_args()
    lines = ["### DER", ""] + der_table(a.conversations) + ["", "### Voiceprint similarity (voice encoder)", ""]
    lines += voiceprint_similarities()
    lines += ["", "### Live mono calls: segments attributed to the enrolled agent", ""]
    lines += online_attribution(a.live_calls)
    lines += ["", "### Roles: who is the agent (customer speaks first, then the agent greets)", ""]
    lines += role_accuracy(a.role_calls)
    print("\n".join(lines[-2:]), flush=True)
    if a.cost_minutes:
        lines += ["", "### Cost", ""] + cost(a.cost_minutes, a.threads)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
