"""Who spoke, measured: diarization error rate (DER, 0.25 s collar, overlap excluded) and speaker-count
accuracy on conversations assembled from real human speech that ships in Debian packages
(tests/realspeech.py: Asterisk's IVR voice, a Mandarin syllable speaker, a LibriVox reader, ALSA's
prompts), at 16 kHz and through the 8 kHz telephone band, with 2 and 3 speakers and turns of 1-15 s;
the same on harder material: people recorded the same way, same-sex pairs on one GSM line with
back-channels and overlap (tests/samechain.py), against the count rule before issue 28; role
accuracy on calls that open with an agent's greeting; voiceprint similarities; and the cost of
diarization in a full ingest (full-size random-weight SenseVoiceSmall, 2 threads).

The speaker model is Resemblyzer's voice encoder (real weights). The conversations here use seeds
100 and up (same line: 1000 and up); the count criteria in ingest/speakers/count.py were chosen on
seeds below 1000 (not reported).

    .venv/bin/python benchmarks/diarization.py --conversations 20 --same-line 20 --cost-minutes 10
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


def _voice_of(speaker: int, parts, turns, voices) -> str:
    """The voice that spoke most of a diarized speaker's parts (their midpoints in its turns)."""
    mids = [(b + e) / 2 for b, e, k in parts if k == speaker]
    return max(voices, key=lambda v: sum(any(tb <= m <= te for tb, te, tv in turns if tv == v) for m in mids))


class _Memo:
    """The encoder, each set of windows embedded once (the same call is diarized three ways)."""

    def __init__(self, enc):
        self.enc, self.kind, self.name, self.seen = enc, enc.kind, enc.name, {}

    def embed(self, clips):
        key = tuple((len(c), float(c[:400].sum())) for c in clips)
        if key not in self.seen:
            self.seen = {key: self.enc.embed(clips)}
        return self.seen[key]


def _count_before(emb, weights, max_k, two_party=False, spans=None):
    """The count rule before issue 28: average linkage, clusters merged while their similarity is
    above the voice encoder's 0.60 (calibrated on voices recorded different ways)."""
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage

    from ingest.speakers.count import Count, absorb_small

    if len(emb) < 2:
        return np.zeros(len(emb), int), Count(1, "one_voice")
    labels = absorb_small(emb, weights, fcluster(linkage(emb.astype(np.float64), "average", "cosine"),
                                                 t=0.40, criterion="distance") - 1)
    return labels, Count(int(labels.max()) + 1, "voices")


def same_line_table(n: int) -> list[str]:
    """Same-chain conversations (tests/samechain.py), seeds 1000+: the count rule before issue 28,
    auto (ingest/speakers/count.py) and the count given."""
    import numpy as np
    import samechain as sc
    from realspeech import der

    from ingest.models.speaker_encoders import VoiceEncoder
    from ingest.models.vad import VadSettings, load_vad
    from ingest.speakers import diarize as dz

    vad, enc = load_vad(VadSettings()), _Memo(VoiceEncoder())
    women = sc.pairs("f")
    setups = [  # name, speakers, kind is two-party, call(i)
        ("two women, 8 kHz GSM", 2, False, lambda i: sc.call(list(women[i % len(women)]), 90, 1000 + i, "8k")),
        ("two women, 8 kHz GSM, service call", 2, True, lambda i: sc.call(list(women[i % len(women)]), 90, 1000 + i, "8k")),
        ("two women, 16 kHz", 2, False, lambda i: sc.call(list(women[i % len(women)]), 90, 1100 + i, "16k")),
        ("a man and a woman, 8 kHz GSM", 2, False,
         lambda i: sc.call(["carlo", ("allison", "june", "menardi", "ivrru", "armelle")[i % 5]], 90, 1200 + i, "8k")),
        ("service call, the customer says little (under 2.5 s a turn), 8 kHz", 2, True,
         lambda i: sc.call(list(women[i % len(women)]), 90, 1300 + i, "8k", brief=women[i % len(women)][1])),
        ("class: three voices (one leads), 8 kHz", 3, False,
         lambda i: sc.call([*women[i % len(women)], "carlo"], 120, 1400 + i, "8k", weights=[3, 1, 1])),
        ("one voice (a message), kind other, 8 kHz", 1, False,
         lambda i: sc.monologue(("allison", "june", "menardi", "ivrru", "armelle", "carlo")[i % 6], 60, 1500 + i)),
        ("one voice (a voicemail), service call, 8 kHz", 1, True,
         lambda i: sc.monologue(("allison", "june", "menardi", "ivrru", "armelle", "carlo")[i % 6], 60, 1600 + i)),
    ]
    rows = ["| conversations | speakers | count | calls | audio | DER | confusion | right count |",
            "|---|---:|---|---:|---:|---:|---:|---:|"]
    estimate = dz.estimate
    for name, k, two_party, make in setups:
        calls = [make(i) for i in range(n)]
        spans = [vad.speech_spans(c.audio) for c in calls]
        audio_min = sum(len(c.audio) for c in calls) / 16000 / 60
        res = {}
        for label, given, rule in (("before (0.60)", None, _count_before), ("auto", None, estimate), ("given", k, estimate)):
            dz.estimate = rule
            try:
                res[label] = [(der(c.turns, d.parts), len(d.seconds)) for c, sp in zip(calls, spans)
                              for d in [dz.diarize(c.audio, sp, enc, given, two_party)]]
            finally:
                dz.estimate = estimate
        for label, r in res.items():
            mean = {m: float(np.mean([x[0][m] for x in r])) for m in ("der", "confusion")}
            rows.append(f"| {name} | {k} | {label} | {n} | {audio_min:.1f} min | **{mean['der']:.1%}** | "
                        f"{mean['confusion']:.1%} | {np.mean([x[1] == k for x in r]):.0%} |")
            print(rows[-1], flush=True)
    return rows


def same_line_voices(n: int) -> list[str]:
    """On the same line (tests/samechain.py, seeds 1700+): a speaker's centroid against voiceprints
    enrolled on other prompts through the same line; who gets named (ingest.speakers.voices); and
    live attribution of single segments (ingest.speakers.attribute)."""
    import numpy as np
    import samechain as sc
    from realspeech import SR

    from ingest.models.speaker_encoders import VoiceEncoder
    from ingest.models.vad import VadSettings, load_vad, split_long
    from ingest.speakers.attribute import OnlineAttributor
    from ingest.speakers.diarize import diarize, windows
    from ingest.speakers.voices import MATCH_THRESHOLD, match_speakers
    from ingest.store.voiceprints import Voiceprint

    vad, enc = load_vad(VadSettings()), VoiceEncoder()
    prints = {}
    for v in ("allison", "june", "menardi", "ivrru", "armelle", "carlo"):
        x = sc.gsm_line(np.concatenate([np.concatenate([u, np.zeros(3200, np.float32)]) for u in sc.utterances(v)[-12:]]))
        e = enc.embed([x[int(w.start_s * SR):int(w.end_s * SR)] for w in windows(vad.speech_spans(x))]).mean(axis=0)
        prints[v] = Voiceprint(v, enc.kind, enc.name, e / np.linalg.norm(e), 30.0, 1, None)
    women = sc.pairs("f")
    same, diff, named = [], [], {"right": 0, "wrong": 0, "unnamed": 0}
    live = {"right": 0, "wrong": 0, "mixed": 0}
    for i in range(n):
        a, b = women[i % len(women)] if i % 3 else ("carlo", women[i % len(women)][0])
        c = sc.call([a, b], 60, 1700 + i, "8k")
        d = diarize(c.audio, vad.speech_spans(c.audio), enc, 2)
        found = match_speakers(d.centroids, list(prints.values()), enc.kind)
        for s, cent in enumerate(d.centroids):
            truth = _voice_of(s, d.parts, c.turns, (a, b))
            for v, vp in prints.items():
                (same if v == truth else diff).append(float(cent @ vp.embedding))
            named["unnamed" if found[s][0] is None else "right" if found[s][0] == truth else "wrong"] += 1
        att = OnlineAttributor(enc, [prints[a]], ("agent", "customer"))
        for p, q in split_long(vad.speech_spans(c.audio), 30.0):
            said = {v for tb, te, v in c.turns if min(te, q) - max(tb, p) > 0}
            if len(said) != 1:
                continue
            role = att.attribute(c.audio[int(p * SR):int(q * SR)]).role
            live["mixed" if role == "mixed" else "right" if role == ("agent" if said == {a} else "customer") else "wrong"] += 1
    thr, n_named, n_live = MATCH_THRESHOLD[enc.kind], sum(named.values()), sum(live.values())
    return [f"- same person: {len(same)} pairs, similarity {min(same):.2f}-{max(same):.2f} (median {np.median(same):.2f})",
            f"- different people: {len(diff)} pairs, similarity {min(diff):.2f}-{max(diff):.2f} (median {np.median(diff):.2f}); "
            f"{np.mean(np.array(diff) >= thr):.1%} at or above the threshold {thr}, {np.mean(np.array(diff) >= 0.78):.1%} above 0.78",
            f"- speakers named (six voices enrolled, each names one speaker of a call at most): {n_named} speakers, "
            f"{named['right'] / n_named:.1%} right, {named['wrong'] / n_named:.1%} wrong, {named['unnamed'] / n_named:.1%} unnamed",
            f"- live, each segment against the agent's voiceprint: {n_live} segments, {live['right'] / n_live:.1%} right, "
            f"{live['wrong'] / n_live:.1%} wrong, {live['mixed'] / n_live:.1%} left mixed"]


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
            truth = _voice_of(s, d.parts, c.turns, voices)
            for v, e in enrolled.items():
                (same if v == truth else diff).append(float(cent @ e))
    from ingest.speakers.voices import MATCH_THRESHOLD

    thr = MATCH_THRESHOLD[enc.kind]
    return [f"- same person: {len(same)} pairs, similarity {min(same):.2f}-{max(same):.2f} (median {np.median(same):.2f}); "
            f"{np.mean(np.array(same) >= thr):.0%} at or above the threshold {thr}",
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
    ap.add_argument("--conversations", type=int, default=20, help="2-speaker conversations per band (0: skip)")
    ap.add_argument("--same-line", type=int, default=20, help="calls per setup on one line (0: skip)")
    ap.add_argument("--cost-minutes", type=float, default=10.0, help="audio for the cost run (0: skip)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--live-calls", type=int, default=8, help="calls per voice pair for live attribution")
    ap.add_argument("--role-calls", type=int, default=10, help="calls per greeting language for role accuracy")
    a = ap.parse_args()
    lines = ["### DER", ""] + der_table(a.conversations) if a.conversations else []
    if a.same_line:
        lines += ["", "### Same line: people recorded the same way", ""] + same_line_table(a.same_line)
        lines += ["", "### Voiceprints and live attribution on the same line", ""] + same_line_voices(a.same_line)
    lines += ["", "### Voiceprint similarity (voice encoder)", ""]
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
