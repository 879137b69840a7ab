"""One recording analysed: decode → VAD per channel → SenseVoice on the slices → parse → derived
signals, with the time spent in each stage.

``Pipeline`` holds the loaded models for a batch. Its work is split in two so a batch can overlap
them: ``listen`` (decode and VAD, on the CPU) and ``recognise`` (the model, then tags, PII
redaction, loudness, speaking rate and pauses).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from . import PIPELINE_VERSION, glossary, prosody, second_opinion
from .decode import SAMPLE_RATE, DecodedAudio, DecodeError, decode
from .errors import FATAL, FileFailed
from .models.emotion2vec import Emotion2vec
from .models.recognize import Recognized, RecognizerSettings, SenseVoiceRecognizer
from .models.speaker_encoders import SharedEncoder, SpeakerSettings, load_encoder
from .models.vad import VadSettings, load_vad, split_quiet
from .options import TWO_PARTY_KINDS, IngestOptions, recorded_at
from .pii import redact as pii_redact
from .records import Recording, Segment, Speaker, StageTimes, now
from .signals import find_pauses, loudness_dbfs, mark_overlap, speaking_rate
from .speakers.count import stored_count
from .speakers.diarize import Diarized, diarize, parse_speakers
from .speakers.roles import lead_speaker, load_openings, role_pair
from .speakers.voices import enrol_lead, match_speakers


class Recognizer(Protocol):
    model_id: str
    revision: str | None

    def transcribe(self, slices: list[np.ndarray]) -> list[Recognized]: ...


def channel_roles(channels: int, roles: tuple[str, str], mono_role: str = "mixed") -> dict[int, str]:
    """Who speaks on each analysed channel: one party per channel of a stereo call, else one role."""
    return {0: roles[0], 1: roles[1]} if channels == 2 else {0: mono_role}


@dataclass
class Heard:
    """A decoded recording and its speech spans (start s, end s, channel), sorted; with who spoke
    each span (channel, speaker number within the channel) where speakers were told apart."""

    audio: DecodedAudio
    spans: list[tuple[float, float, int]]
    speakers: list[tuple[int, int]] | None = None
    diarized: dict[int, Diarized] = field(default_factory=dict)  # per channel told apart
    speaker_model: str | None = None

    def slices(self) -> list[np.ndarray]:
        return [self.audio.samples[ch, int(b * SAMPLE_RATE):int(e * SAMPLE_RATE)] for b, e, ch in self.spans]


def heard_fields(r: Recognized, duration_s: float, loudness: float, keep_pii: bool) -> dict:
    """What one segment says, derived the same way for a file and a live call: SenseVoice's tags,
    the text with personal data redacted unless kept (the kinds found in ``pii``), its loudness
    and speaking rate (``Segment``'s fields of those names)."""
    rate, unit = speaking_rate(r.parsed.text, duration_s)
    text, pii = pii_redact(r.parsed.text)
    fixed = glossary.fixed_fields(r.parsed.text if keep_pii else text)  # brand names heard right (data/glossary.yaml)
    return {"language": r.parsed.language, "emotion": r.parsed.emotion, "emotion_confidence": r.emotion_confidence,
            "events": r.parsed.events, "itn": r.parsed.itn, **fixed,
            "raw_text": r.parsed.raw if keep_pii else pii_redact(r.parsed.raw)[0],
            "loudness_dbfs": loudness, "speaking_rate": rate, "rate_unit": unit, "pii": pii,
            "emotion_probs": r.emotion_probs, "event_probs": r.event_probs, "language_confidence": r.language_confidence}


class Pipeline:
    """Holds the loaded models for a batch; models load on the first file that needs them."""

    def __init__(self, options: IngestOptions, recognizer: Recognizer | None = None):
        self.options = options
        self._recognizer = recognizer
        self._vad = None
        self._vad_lock = threading.Lock()  # listen may run in a thread ahead of the model
        self.times = StageTimes()
        self.vad_settings = options.settings(VadSettings, name=options.vad)
        self._encoder = self._voices = self._judge = None
        self.warnings: list[str] = []  # said once per batch (e.g. the speaker model fell back)
        self.openings = load_openings(options.openings)
        glossary.current()  # a glossary that cannot be read is said now (a batch's start, the live server's), not per segment

    @property
    def speaker_encoder(self) -> SharedEncoder:
        """The speaker-embedding model, loaded on the first recording that needs it."""
        with self._vad_lock:
            if self._encoder is None:
                o = self.options
                self._encoder = SharedEncoder(load_encoder(  # on the CPU: small, and the GPU is SenseVoice's
                    o.settings(SpeakerSettings, encoder=o.speaker_model, model=o.campplus, device="cpu"), warn=self.warnings.append))
        return self._encoder

    @property
    def emotion_judge(self):
        """emotion2vec+ for the second opinion (ingest.second_opinion), loaded when first asked."""
        if self._judge is None:
            o = self.options
            self._judge = Emotion2vec(o.emotion2vec, o.hub, o.device, o.threads)
        return self._judge

    @property
    def voices(self):
        if self._voices is None:
            from .store.voiceprints import load_all

            self._voices = load_all(self.options.db)
        return self._voices

    @property
    def model_id(self) -> str:
        """The id results of this pipeline are stored with (without loading the model)."""
        if self._recognizer is not None:
            return self._recognizer.model_id
        local = Path(self.options.model).expanduser()
        return str(local.resolve()) if local.exists() else self.options.model

    @property
    def recognizer(self) -> Recognizer:
        if self._recognizer is None:
            o = self.options
            self._recognizer = SenseVoiceRecognizer(o.settings(RecognizerSettings))
        return self._recognizer

    @property
    def vad(self):
        with self._vad_lock:
            if self._vad is None:
                self._vad = load_vad(self.vad_settings, ncpu=self.options.threads or 1)
        return self._vad

    def analyse(self, path: Path, recording_id: str, fields: dict, metadata: dict,
                batch_id: str) -> tuple[Recording, list[Segment], list]:
        return self.recognise(self.listen(path, fields), path, recording_id, fields, metadata, batch_id)

    def wants_speakers(self, channels: int, channel: int, fields: dict | None) -> tuple[bool, int | None]:
        """(tell the speakers of this channel apart?, their count or None to estimate)."""
        n = parse_speakers((fields or {}).get("speakers", self.options.speakers))
        on = channels == 1 or channel == self.options.diarize_channel
        return on and n != 1, n

    def two_party(self, fields: dict | None) -> bool:
        """A call between two known parties (ingest.speakers.count)?"""
        return (fields or {}).get("kind", self.options.kind) in TWO_PARTY_KINDS

    def listen(self, path: Path, fields: dict | None = None) -> Heard:
        """Decode, find the speech, and who spoke; raises FileFailed (decode, vad, speakers) for this file."""
        heard = self.listen_many([(path, fields)])[0]
        if isinstance(heard, FileFailed):
            raise heard
        return heard

    def listen_many(self, files: list[tuple[Path, dict | None]], max_audio_s: float | None = None) -> list[Heard | FileFailed]:
        """``listen`` for several files, their speech found in one VAD pass (the VAD's cost is one
        32 ms step after another, whatever the number of rows: five 2-minute calls take the time
        of one). Files are decoded in turn until ``max_audio_s`` of audio is held: the result is
        for those (at least one). Each file's failure is its own: a FileFailed in its place."""
        o = self.options
        decoded: list[DecodedAudio | FileFailed] = []
        held = 0.0
        for path, _ in files:
            if decoded and max_audio_s is not None and held >= max_audio_s:
                break
            t0 = time.perf_counter()
            try:
                decoded.append(decode(path, mix=o.mix, max_duration_s=o.max_duration_s))
                held += decoded[-1].duration_s
            except DecodeError as e:
                decoded.append(FileFailed("decode", str(e)))
            finally:
                self.times.add("decode", time.perf_counter() - t0)
        files = files[:len(decoded)]
        channels = [(i, ch) for i, a in enumerate(decoded) if isinstance(a, DecodedAudio) for ch in range(a.samples.shape[0])]
        found: dict[int, list] = {i: [] for i, _ in channels}
        if channels:
            t0 = time.perf_counter()
            vad = self.vad  # a VAD that cannot load stops the batch (VadUnavailable)
            try:
                for (i, _), spans in zip(channels, vad.speech_spans_many([decoded[i].samples[ch] for i, ch in channels])):
                    found[i].append(spans)
            except Exception:  # noqa: BLE001 - then each file alone, so a failure is the file's own
                found = {i: self._speech(decoded[i]) for i in found}
            finally:
                self.times.add("vad", time.perf_counter() - t0)
        out: list[Heard | FileFailed] = []
        for i, ((_, wanted), audio) in enumerate(zip(files, decoded)):
            try:
                if isinstance(audio, FileFailed):
                    raise audio
                if isinstance(found[i], FileFailed):
                    raise found[i]
                out.append(self._who_spoke(audio, found[i], wanted))
            except FileFailed as f:
                out.append(f)
        return out

    def _speech(self, audio: DecodedAudio) -> list | FileFailed:
        try:
            return [self.vad.speech_spans(audio.samples[ch]) for ch in range(audio.samples.shape[0])]
        except Exception as e:  # noqa: BLE001
            return FileFailed("vad", f"voice activity detection failed: {type(e).__name__}: {e}")

    def _who_spoke(self, audio: DecodedAudio, found: list, fields: dict | None) -> Heard:
        """The speech spans of each channel cut to segments, with who spoke each where speakers
        are told apart; raises FileFailed."""
        o = self.options
        n_ch = audio.samples.shape[0]
        if not any(found):
            raise FileFailed("vad", f"no speech found ({audio.duration_s:.1f} s of audio)")
        if any(self.wants_speakers(n_ch, ch, fields)[0] and found[ch] for ch in range(n_ch)):
            enc = self.speaker_encoder  # loaded once (not timed); a speaker model that cannot load stops the batch
        t0 = time.perf_counter()
        spans, diarized, model = [], {}, None
        try:
            for ch, chan_spans in enumerate(found):
                on, n = self.wants_speakers(n_ch, ch, fields)
                if on and chan_spans:
                    d = diarized[ch] = diarize(audio.samples[ch], chan_spans, enc, n, self.two_party(fields))
                    model = enc.name
                    parts = d.parts
                else:
                    parts = [(b, e, 0) for b, e in chan_spans]
                for b, e, spk in parts:
                    cut = split_quiet(audio.samples[ch], [(b, e)], o.max_segment_s, o.pause_threshold_s)
                    spans += [(b2, e2, ch, spk) for b2, e2 in cut]
        except FATAL:
            raise
        except Exception as e:  # noqa: BLE001
            raise FileFailed("speakers", f"telling the speakers apart failed: {type(e).__name__}: {e}") from e
        finally:
            self.times.add("speakers", time.perf_counter() - t0)
        spans.sort()
        return Heard(audio, [(b, e, ch) for b, e, ch, _ in spans], [(ch, spk) for _, _, ch, spk in spans],
                     diarized, model)

    def tell_apart(self, heard: Heard, fields: dict | None = None) -> Heard:
        """Who spoke in spans that are already cut and recognised (a live call's): each span gets
        the speaker of most of its speech. A speaker model that cannot load raises."""
        n_ch = heard.audio.samples.shape[0]
        todo = [ch for ch in range(n_ch)
                if self.wants_speakers(n_ch, ch, fields)[0] and any(c == ch for _, _, c in heard.spans)]
        if not todo:
            return heard
        enc = self.speaker_encoder
        t0 = time.perf_counter()
        speakers = heard.speakers or [(ch, 0) for _, _, ch in heard.spans]
        try:
            for ch in todo:
                mine = [i for i, (_, _, c) in enumerate(heard.spans) if c == ch]
                d = diarize(heard.audio.samples[ch], [heard.spans[i][:2] for i in mine], enc,
                            self.wants_speakers(n_ch, ch, fields)[1], self.two_party(fields))
                for i in mine:
                    b, e, _ = heard.spans[i]
                    share: dict[int, float] = {}
                    for pb, pe, spk in d.parts:
                        if min(e, pe) > max(b, pb):
                            share[spk] = share.get(spk, 0.0) + min(e, pe) - max(b, pb)
                    speakers[i] = (ch, max(share, key=share.get) if share else 0)
                heard.diarized[ch] = d
        finally:
            self.times.add("speakers", time.perf_counter() - t0)
        heard.speakers, heard.speaker_model = speakers, enc.name
        return heard

    def recognise(self, heard: Heard, path: Path, recording_id: str, fields: dict, metadata: dict,
                  batch_id: str) -> tuple[Recording, list[Segment], list]:
        slices = heard.slices()
        recognizer = self.recognizer  # a model that cannot load stops the batch (ModelUnavailable)
        t0, f0 = time.perf_counter(), getattr(recognizer, "features_s", 0.0)
        try:
            recognized = recognizer.transcribe(slices)
        except Exception as e:  # noqa: BLE001
            raise FileFailed("recognize", f"speech recognition failed: {type(e).__name__}: {e}") from e
        finally:
            features = getattr(recognizer, "features_s", 0.0) - f0
            self.times.add("features", features)
            self.times.add("model", time.perf_counter() - t0 - features)
        rec, segments, pauses = self.assemble(heard, recognized, path, recording_id, fields, metadata, batch_id)
        if self.options.emotion_second_opinion != "off":
            rec.second_opinion_model = second_opinion.apply(self, segments, slices)
        return rec, segments, pauses

    def assemble(self, heard: Heard, recognized: list[Recognized], path: Path, recording_id: str, fields: dict,
                 metadata: dict, batch_id: str) -> tuple[Recording, list[Segment], list]:
        """The recording, its segments and pauses from what the model said about each span (also
        used by the live server, which recognised the spans as the call went on)."""
        o = self.options
        audio, spans = heard.audio, heard.spans
        n_ch = audio.samples.shape[0]
        roles = channel_roles(n_ch, fields.get("channel_roles", o.channel_roles), fields.get("mono_role", "mixed"))
        slices = heard.slices()
        t0 = time.perf_counter()
        rec_model, rec_rev = self.recognizer.model_id, self.recognizer.revision
        kind = fields.get("kind", o.kind)
        keys = heard.speakers or [(ch, 0) for _, _, ch in spans]
        metadata = dict(metadata)
        speakers, label_of = self._who(heard, keys, recognized, fields, kind, roles, metadata, recording_id)
        role_of = {s.speaker: s.role for s in speakers}
        segments, levels = [], [loudness_dbfs(sl) for sl in slices]
        # a voice is compared with its own start: the role's where roles tell the parties apart (a raised
        # voice can sound like another speaker to the voice encoder), else the speaker's
        who = [role_of[label_of[k]] if role_of[label_of[k]] not in (None, "mixed") else label_of[k] for k in keys]
        for i, ((b, e, ch), r, key, level, voice) in enumerate(zip(spans, recognized, keys, levels,
                                                                   prosody.segment_fields(slices, who, levels))):
            segments.append(Segment(
                recording_id=recording_id, channel=ch, role=role_of[label_of[key]], seg_index=i,
                start_s=round(b, 3), end_s=round(e, 3), **heard_fields(r, e - b, level, o.keep_pii),
                speaker=label_of[key], speaker_model=heard.speaker_model if ch in heard.diarized else None, **voice))
        mark_overlap(segments)
        pauses = find_pauses(segments, o.pause_threshold_s, recording_id, roles)  # mono: nobody speaks
        self.times.add("signals", time.perf_counter() - t0)
        when, source = recorded_at(path, fields, self.options.recorded_at, audio.info.creation_time)
        rec = Recording(
            recording_id=recording_id, path=str(path), filename=path.name,
            size_bytes=path.stat().st_size, format=audio.info.format, codec=audio.info.codec,
            duration_s=round(audio.info.duration_s or audio.duration_s, 3),
            sample_rate=audio.info.sample_rate, channels=audio.info.channels,
            analysed_channels=n_ch, mixed=audio.mixed, kind=kind,
            outcome=fields.get("outcome", o.outcome), batch_id=batch_id, recorded_at=when,
            recorded_at_source=source, language_requested=o.language, model_id=rec_model,
            model_revision=rec_rev, pipeline_version=PIPELINE_VERSION, vad=o.vad,
            ingested_at=now(), n_segments=len(segments),
            speech_s=round(sum(s.duration_s for s in segments), 3), metadata=metadata,
            speaker_model=heard.speaker_model, n_speakers=len(speakers), speakers=speakers,
            **stored_count([d.count for d in heard.diarized.values()]))
        if o.enrol_agents and n_ch == 2:
            self._enrol_lead(heard, kind, roles, metadata, fields)
        return rec, segments, pauses

    def _enrol_lead(self, heard: Heard, kind: str, roles: dict[int, str], metadata: dict, fields: dict) -> None:
        """A stereo call that names its agent (or teacher): enrol their voice from their channel,
        unless a voiceprint of them exists for this speaker model (``--enrol-agents``)."""
        name = metadata.get("teacher" if kind == "class" else "agent")
        lead = role_pair(kind, fields.get("channel_roles", self.options.channel_roles), IngestOptions().channel_roles)[0]
        ch = next((c for c, r in roles.items() if r == lead), None)
        if name and ch is not None:
            said = enrol_lead(self.options.db, name, heard.audio.samples[ch], [(b, e) for b, e, c in heard.spans if c == ch],
                              ch, self.speaker_encoder, self.voices)
            if said:
                self._voices = None  # read again, with the new voice
                self.warnings.append(said)

    def _who(self, heard: Heard, keys: list[tuple[int, int]], recognized: list[Recognized], fields: dict,
             kind: str, channel_roles: dict[int, str], metadata: dict,
             recording_id: str) -> tuple[list[Speaker], dict[tuple[int, int], str]]:
        """The speakers (S1, S2, ... by first appearance) with their roles and names; fills the
        recording's agent / teacher metadata from a voiceprint match unless it was given."""
        o = self.options
        label_of: dict[tuple[int, int], str] = {}
        talk: dict[tuple[int, int], float] = {}
        count: dict[tuple[int, int], int] = {}
        said: dict[int, list[tuple[str, float, str]]] = {}
        for (b, e, ch), key, r in zip(heard.spans, keys, recognized):
            label = label_of.setdefault(key, f"S{len(label_of) + 1}")
            talk[key] = talk.get(key, 0.0) + e - b
            count[key] = count.get(key, 0) + 1
            said.setdefault(ch, []).append((label, b, r.parsed.text))
        n_ch = heard.audio.samples.shape[0]
        out, names = {}, {ch: match_speakers(d.centroids, self.voices, self.speaker_encoder.kind)
                          for ch, d in heard.diarized.items()} if self.voices else {}
        for key, label in label_of.items():
            ch, local = key
            out[key] = Speaker(recording_id=recording_id, speaker=label, channel=ch, role=channel_roles[ch],
                               role_source="channel" if n_ch > 1 else "single", talk_s=round(talk[key], 3), segments=count[key])
            if local < len(names.get(ch, ())):
                out[key].name, out[key].similarity = names[ch][local]
        for ch in heard.diarized:
            mine = [k for k in label_of if k[0] == ch]
            if n_ch > 1 or len(mine) < 2:
                continue  # a stereo channel's speakers share its role; one speaker keeps the mono role
            lead = self._lead(mine, out, said[ch], fields, kind, {out[k].speaker: talk[k] for k in mine})
            pair = role_pair(kind, fields.get("channel_roles", o.channel_roles), IngestOptions().channel_roles)
            for k in mine:
                out[k].role = pair[0] if out[k].speaker == lead[0] else pair[1]
                out[k].role_source = lead[1] if out[k].speaker == lead[0] else "other"
            named = next((out[k].name for k in mine if out[k].speaker == lead[0] and out[k].name), None)
            key = "teacher" if kind == "class" else "agent"
            if named and not metadata.get(key):
                metadata[key] = named
        return list(out.values()), label_of

    def _lead(self, mine, out, said, fields, kind, talk_s) -> tuple[str, str]:
        """(lead speaker label, why) among one channel's speakers: the manifest's lead_speaker, a
        voiceprint match, else the heuristics of ingest.speakers.roles."""
        given = fields.get("lead_speaker")
        if given in [out[k].speaker for k in mine]:
            return given, "manifest"
        matched = [out[k] for k in mine if out[k].name]
        if matched:
            return max(matched, key=lambda s: s.similarity).speaker, "voiceprint"
        spk, why = lead_speaker(said, kind, self.openings, talk_s)
        return spk, {"speaks most": "dominant", "says an opening line": "opening"}.get(why, "first")
