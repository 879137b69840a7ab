"""One live call on ``toneboard live`` (its state across a dropped connection, its recognition
through the model all calls share, the pace it may send at) — the server that accepts calls is
``ingest.live.server``. A call sees its server only through ``CallHost`` (the settings it runs with, the
shared recogniser, where its status goes, and storing it when it ends): this module does not import
the server, and storing a call — its audio, its recording, its batch — is the server's job."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import time
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .. import prosody
from ..analyse import Pipeline, channel_roles, heard_fields
from ..models.recognize import Recognized
from ..models.vad import VadSettings
from ..records import now
from ..signals import loudness_dbfs
from ..speakers.attribute import Attribution
from .protocol import Start
from .rules import LiveRules, LiveRuleSettings
from .stream import CallStream, Closed

# what a live segment message carries of a segment's fields (ingest.analyse.heard_fields)
LIVE_FIELDS = ("language", "emotion", "emotion_confidence", "events", "text", "loudness_dbfs", "speaking_rate", "rate_unit")


@dataclass(frozen=True)
class CallSettings:
    """What every call on a server runs with."""

    vad: VadSettings
    rule_language: str
    keep_pii: bool
    pause_threshold_s: float


class CallHost(Protocol):
    """What a call needs from the server that accepted it, and nothing more."""

    call_settings: CallSettings

    def threshold(self, tag: str) -> float: ...  # the team's threshold for a tag (analytics.confidence), now

    def attributor(self, start: Start): ...  # mono calls: who is speaking, from enrolled voices (or None)

    def status_path(self, call_id: str) -> Path: ...  # the JSON the dashboard's live page reads

    def recognise(self, audio: np.ndarray) -> Awaitable[Recognized]: ...  # through the model every call shares

    def store_call(self, call: Call, recognised: list[tuple[Closed, Recognized]]) -> tuple[str | None, int, str | None]:
        """Keep an ended call's audio and store it: (recording id, segments, why not stored)."""


class Pace:
    """Audio may arrive at most ``max_speed`` times faster than real time, after ``burst_s`` of it
    at any speed: ``wait`` sleeps as long as needed (the connection is not read meanwhile, so TCP
    slows the sender down)."""

    def __init__(self, max_speed: float, burst_s: float, clock=time.monotonic):
        self.max_speed, self.burst_s, self.clock = max_speed, burst_s, clock
        self.start = clock()
        self.received_s = 0.0

    def delay(self, audio_s: float) -> float:
        self.received_s += audio_s
        allowed = self.burst_s + self.max_speed * (self.clock() - self.start)
        return max(0.0, (self.received_s - allowed) / self.max_speed)

    async def wait(self, audio_s: float) -> None:
        d = self.delay(audio_s)
        if d > 0:
            await asyncio.sleep(d)


class SharedRecogniser:
    """One model for every call: segments waiting from several calls go to the model together."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None

    async def recognise(self, audio: np.ndarray) -> Recognized:
        if self.task is None:
            self.task = asyncio.create_task(self._run())
        fut = asyncio.get_running_loop().create_future()
        await self.queue.put((audio, fut))
        return await fut

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def _run(self) -> None:
        while True:
            items = [await self.queue.get()]
            while not self.queue.empty():
                items.append(self.queue.get_nowait())
            try:
                results = await asyncio.to_thread(self.pipeline.recognizer.transcribe, [a for a, _ in items])
            except Exception as e:  # noqa: BLE001 - each waiting call gets the error
                for _, fut in items:
                    if not fut.done():
                        fut.set_exception(e)
                continue
            for (_, fut), r in zip(items, results):
                if not fut.done():
                    fut.set_result(r)


class Call:
    """One call's state, kept across a dropped connection until it is stored."""

    def __init__(self, start: Start, host: CallHost):
        self.start, self.host, self.settings = start, host, host.call_settings
        self.stream = CallStream(start.sample_rate, start.channels, self.settings.vad)
        self.rules = LiveRules(LiveRuleSettings(customer_role=start.roles[1], agent_role=start.roles[0],
                                                language=self.settings.rule_language,
                                                min_confidence=host.threshold("ANGRY")), mono=start.channels == 1)
        self.roles = channel_roles(start.channels, start.roles)
        self.attributor = host.attributor(start) if start.channels == 1 else None  # mono: the agent's voice
        self.results: list[tuple[Closed, asyncio.Future]] = []
        self.emitted = 0  # results whose events have been sent
        self.alerts: list = []
        self.shown: list[dict] = []  # segment events so far (for the status file)
        self.last_end: dict[int, float] = {}
        self.ws = None
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.sender: asyncio.Task | None = None
        self.expiry: asyncio.Task | None = None
        self.finishing = False  # being stored: too late to resume
        self.resume_token = secrets.token_urlsafe(24)  # only its holder may resume the call (never in the status file)
        self.done = asyncio.Event()
        self.outcome: dict = {}
        self.started_at = now()

    # -- what the dashboard's live page reads ----------------------------------------------------
    STATUS_SEGMENTS = 300  # the latest segments kept in the status file

    def status_path(self) -> Path:
        return self.host.status_path(self.start.call_id)

    def write_status(self) -> None:
        """The call so far, as a small JSON file replaced whole (``analytics.live_calls`` reads it)."""
        st = self.start
        status = {"call_id": st.call_id, "pid": os.getpid(), "kind": st.kind, "roles": list(st.roles), "metadata": st.metadata,
                  "started_at": self.started_at.isoformat(), "updated_at": time.time(),
                  "duration_s": round(self.stream.duration_s, 2), "connected": self.ws is not None,
                  "segments": self.shown[-self.STATUS_SEGMENTS:], "n_segments": len(self.shown),
                  "alerts": [asdict(a) for a in self.alerts]}
        path = self.status_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(status, ensure_ascii=False))
        os.replace(tmp, path)

    # -- events -----------------------------------------------------------------------------
    async def send(self, event: dict) -> None:
        ws = self.ws
        if ws is not None:
            with contextlib.suppress(Exception):  # the client went away: the call goes on without it
                await ws.send(json.dumps(event, ensure_ascii=False))

    def segments_closed(self, closed: list[Closed]) -> None:
        for c in closed:
            audio = self.stream.slice(c)
            fut = asyncio.ensure_future(self.host.recognise(audio))
            who = asyncio.ensure_future(asyncio.to_thread(self.attributor.attribute, audio)) if self.attributor else None
            self.results.append((c, fut))
            pitch = asyncio.ensure_future(asyncio.to_thread(prosody.pitch, audio))  # off the event loop
            self.outbox.put_nowait((c, loudness_dbfs(audio), fut, who, pitch))

    async def emit_loop(self) -> None:
        """Send segment, pause and alert events in the order the segments closed."""
        while True:
            c, loud, fut, who, pitch = await self.outbox.get()
            try:
                await self.on_recognised(c, loud, await fut, await who if who is not None else None, await pitch)
            except Exception as e:  # noqa: BLE001
                await self.send({"type": "error", "message": f"recognition failed: {type(e).__name__}: {e}"})
            finally:
                self.emitted += 1

    async def on_recognised(self, c: Closed, loud: float, r: Recognized, who: Attribution | None = None,
                            pitch: prosody.Pitch | None = None) -> None:
        o = self.settings
        role = who.role if who is not None else self.roles[c.channel]
        prev = self.last_end.get(c.channel)
        if prev is not None and c.start_s - prev >= o.pause_threshold_s:
            await self.send({"type": "pause", "channel": c.channel, "role": role, "start_s": prev,
                             "end_s": c.start_s, "duration_s": round(c.start_s - prev, 3)})
        self.last_end[c.channel] = max(prev or 0.0, c.end_s)
        heard = heard_fields(r, c.end_s - c.start_s, loud, o.keep_pii)
        rate = heard["speaking_rate"]
        event = {"type": "segment", "channel": c.channel, "role": role, "start_s": c.start_s, "end_s": c.end_s,
                 **{k: heard[k] for k in LIVE_FIELDS}, "pitch_hz": pitch.median_hz if pitch else None, "sent_at": time.time()}
        if who is not None:  # a mono call with the agent's voice enrolled
            event.update(voice=who.name, voice_similarity=who.similarity)
        await self.send(event)
        self.shown.append({k: event[k] for k in ("role", "start_s", "end_s", "emotion", "events", "text")})
        for a in self.rules.on_segment(role, c.start_s, c.end_s, r.parsed.emotion, r.parsed.text, loud, rate,
                                       r.emotion_confidence, pitch.median_hz if pitch else None):
            await self.alert(a)
        self.write_status()

    async def alert(self, a) -> None:
        self.alerts.append(a)
        await self.send({"type": "alert", **asdict(a)})
        self.write_status()

    async def tick(self) -> None:
        speaking = any(ch.start is not None for ch in self.stream.chans)
        for a in self.rules.on_time(self.stream.duration_s, speaking):
            await self.alert(a)

    # -- the end ----------------------------------------------------------------------------
    async def finish(self) -> dict:
        """Close open segments, wait for every result, store the call once; the stored event
        (``recording_id`` None, with a ``reason``, when there was nothing to store or it failed)."""
        if self.finishing:  # stored, or being stored by the other path (stop vs. drop or shutdown)
            await self.done.wait()
            return self.outcome
        self.finishing = True
        try:
            self.segments_closed(self.stream.flush())
            while self.emitted < len(self.results):  # every segment's events sent before "stored"
                await asyncio.sleep(0.01)
            recognised = []
            for c, fut in self.results:
                try:
                    recognised.append((c, await fut))
                except Exception:  # noqa: BLE001 - a segment the model failed on is left out
                    continue
            if self.stream.duration_s == 0:
                self.outcome = {"type": "stored", "recording_id": None, "segments": 0,
                                "reason": "no audio received: nothing stored"}
            else:
                rid, segments, reason = await asyncio.to_thread(self.host.store_call, self, recognised)
                self.outcome = {"type": "stored", "recording_id": rid, "segments": segments}
                if reason:
                    self.outcome["reason"] = reason
        except Exception as e:  # noqa: BLE001 - told to the client; the server goes on
            self.outcome = {"type": "stored", "recording_id": None, "segments": 0,
                            "reason": f"could not store the call: {type(e).__name__}: {e}"}
        finally:
            self.status_path().unlink(missing_ok=True)
            if self.sender is not None:
                self.sender.cancel()
            self.done.set()
        return self.outcome
