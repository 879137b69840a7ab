"""Live analysis of calls in progress: ``toneboard live`` runs a WebSocket server, one call per
connection (the protocol: ``ingest.live_protocol``; the reference client: ``ingest.live_client``).

Each call's audio goes through a streaming VAD per channel (``ingest.stream``); every closed
segment is recognised at once by one model shared by all calls (segments waiting from several
calls go to it together), and its events and live-rule alerts are sent back in order.

A dropped connection loses nothing received: the call waits ``resume_s`` for the same call_id to
reconnect (``ready`` says how much audio arrived; the client goes on from there), then it is
stored like any ingested recording (audio kept as a WAV, segments, pauses; alerts become risk
tickets), exactly once. Bad input closes that connection with a reason, and nothing else.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .analyse import Heard, Pipeline, channel_roles
from .attribute import Attribution, OnlineAttributor
from .decode import SAMPLE_RATE, AudioInfo, DecodedAudio
from .live_protocol import BadStart, Start, parse_start
from .notify import rules_after_ingest
from .options import IngestOptions
from .pii import redact as pii_redact
from .pipeline import _failure, file_id, new_batch
from .recognize import Recognized
from .signals import loudness_dbfs, speaking_rate
from .store import Store, now, pid_alive
from .stream import CallStream, Closed, pcm16


@dataclass
class LiveOptions:
    ingest: IngestOptions = field(default_factory=IngestOptions)  # store, model, device, PII, pauses
    host: str = "127.0.0.1"
    port: int = 8765
    start_timeout_s: float = 10.0  # the start message must arrive within this
    idle_timeout_s: float = 30.0  # no message for this long: the connection counts as dropped
    resume_s: float = 30.0  # a dropped call waits this long for its call_id to reconnect
    max_message_bytes: int = 1 << 20
    max_call_s: float = 4 * 3600  # a longer call is stopped and stored (memory: ~230 MB per channel-hour)
    max_calls: int = 50  # calls connected at once; more are refused (1013, try again later)
    max_speed: float = 20.0  # audio may arrive this many times faster than real time ...
    burst_s: float = 30.0  # ... after this much audio at any speed; beyond it the call is throttled
    max_disk_gb: float | None = 50.0  # kept call audio under <store>/live/; new calls are refused beyond it
    rule_language: str = "en"


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

    def __init__(self, start: Start, server: LiveServer):
        from analytics.live_rules import LiveRules, LiveRuleSettings

        self.start, self.server = start, server
        self.stream = CallStream(start.sample_rate, start.channels, server.pipeline.vad_settings)
        self.rules = LiveRules(LiveRuleSettings(customer_role=start.roles[1], agent_role=start.roles[0],
                                                language=server.options.rule_language), mono=start.channels == 1)
        self.roles = channel_roles(start.channels, start.roles)
        self.attributor = server.attributor(start) if start.channels == 1 else None  # mono: the agent's voice
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
        self.done = asyncio.Event()
        self.outcome: dict = {}
        self.started_at = now()

    # -- what the dashboard's live page reads ----------------------------------------------------
    STATUS_SEGMENTS = 300  # the latest segments kept in the status file

    def status_path(self) -> Path:
        return self.server.store.root / "live" / "_active" / f"{self.start.call_id}.json"

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
            fut = asyncio.ensure_future(self.server.recogniser.recognise(audio))
            who = asyncio.ensure_future(asyncio.to_thread(self.attributor.attribute, audio)) if self.attributor else None
            self.results.append((c, fut))
            self.outbox.put_nowait((c, loudness_dbfs(audio), fut, who))

    async def emit_loop(self) -> None:
        """Send segment, pause and alert events in the order the segments closed."""
        while True:
            c, loud, fut, who = await self.outbox.get()
            try:
                await self.on_recognised(c, loud, await fut, await who if who is not None else None)
            except Exception as e:  # noqa: BLE001
                await self.send({"type": "error", "message": f"recognition failed: {type(e).__name__}: {e}"})
            finally:
                self.emitted += 1

    async def on_recognised(self, c: Closed, loud: float, r: Recognized, who: Attribution | None = None) -> None:
        o = self.server.options.ingest
        role = who.role if who is not None else self.roles[c.channel]
        prev = self.last_end.get(c.channel)
        if prev is not None and c.start_s - prev >= o.pause_threshold_s:
            await self.send({"type": "pause", "channel": c.channel, "role": role, "start_s": prev,
                             "end_s": c.start_s, "duration_s": round(c.start_s - prev, 3)})
        self.last_end[c.channel] = max(prev or 0.0, c.end_s)
        text = r.parsed.text if o.keep_pii else pii_redact(r.parsed.text)[0]
        rate, unit = speaking_rate(r.parsed.text, c.end_s - c.start_s)
        event = {"type": "segment", "channel": c.channel, "role": role, "start_s": c.start_s,
                 "end_s": c.end_s, "language": r.parsed.language, "emotion": r.parsed.emotion,
                 "emotion_confidence": r.emotion_confidence, "events": r.parsed.events, "text": text,
                 "loudness_dbfs": loud, "speaking_rate": rate, "rate_unit": unit, "sent_at": time.time()}
        if who is not None:  # a mono call with the agent's voice enrolled
            event.update(voice=who.name, voice_similarity=who.similarity)
        await self.send(event)
        self.shown.append({k: event[k] for k in ("role", "start_s", "end_s", "emotion", "events", "text")})
        for a in self.rules.on_segment(role, c.start_s, c.end_s, r.parsed.emotion, r.parsed.text, loud, rate):
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
                rid, segments, reason = await asyncio.to_thread(self._store, recognised)
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

    def _store(self, recognised: list[tuple[Closed, Recognized]]) -> tuple[str | None, int, str | None]:
        """Keep the audio and store the call; (recording id, segments, why not stored)."""
        from analytics.rules import Match, Rule, open_tickets

        server, start = self.server, self.start
        audio = self.stream.audio()
        pcm = pcm16(audio)
        staged = server.store.root / "live" / f".{uuid.uuid4().hex}.wav"
        staged.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(staged), "wb") as w:
            w.setnchannels(start.channels)
            w.setsampwidth(2)
            w.setframerate(SAMPLE_RATE)
            w.writeframes(pcm)
        rid = file_id(staged)  # as for an ingested file: ingesting this WAV later finds it stored
        path = server.store.root / "live" / rid / f"{start.call_id}.wav"
        path.parent.mkdir(exist_ok=True)
        os.replace(staged, path)
        if server.store.has_recording(rid):
            return rid, len(recognised), None
        if not recognised:  # as for a file: a failure with its reason (the audio is kept)
            reason = f"no speech found in live call {start.call_id} ({self.stream.duration_s:.1f} s of audio)"
            _failure(path, rid, "vad", reason, server.store, server.batch)
            server.batch.n_failed += 1
            server.store.write_batch(server.batch)
            return None, 0, reason
        info = AudioInfo("wav", "pcm_s16le", audio.shape[1] / SAMPLE_RATE, start.sample_rate, start.channels,
                         self.started_at.isoformat())
        heard = Heard(DecodedAudio(info, audio, False), [(c.start_s, c.end_s, c.channel) for c, _ in recognised])
        fields = {"kind": start.kind, "recorded_at": self.started_at.isoformat(sep=" "), "channel_roles": start.roles}
        try:
            server.pipeline.tell_apart(heard, fields)  # a mono call: who spoke, as for an ingested file
        except Exception as e:  # noqa: BLE001 - stored without speakers rather than lost
            server.pipeline.warnings.append(f"call {start.call_id}: speakers not told apart: {type(e).__name__}: {e}")
        rec, segments, pauses = server.pipeline.assemble(heard, [r for _, r in recognised], path, rid, fields,
                                                         {**start.metadata, "call_id": start.call_id},
                                                         server.batch.batch_id)
        server.store.write_recording(rec, segments, pauses)
        by_rule: dict[str, list] = {}
        for a in self.alerts:
            by_rule.setdefault(a.rule, []).append({"start_s": a.at_s, "end_s": a.at_s, "what": a.detail})
        open_tickets(server.store, [Match(rid, Rule(f"live:{rule}", f"live alert: {rule}", "high", [start.kind], "any", []),
                                          evidence) for rule, evidence in by_rule.items()])
        server.pipeline.warnings += rules_after_ingest(server.options.ingest, [rid])  # the risk queue runs itself
        server.batch.n_ingested += 1
        server.batch.audio_s = round(server.batch.audio_s + rec.duration_s, 3)
        server.store.write_batch(server.batch)
        return rid, len(segments), None


def clean_stale_status(folder: Path) -> int:
    """Remove status files of calls whose server is gone (a crash, kill -9): the live page would
    show them in progress for ever. Files of a live server still running are kept."""
    n = 0
    for f in folder.glob("*.json") if folder.is_dir() else []:
        try:
            pid = int(json.loads(f.read_text()).get("pid") or 0)
        except (OSError, ValueError, AttributeError):
            pid = 0
        alive = pid > 0 and pid != os.getpid() and pid_alive(pid)
        if not alive:
            f.unlink(missing_ok=True)
            n += 1
    return n


class LiveServer:
    def __init__(self, options: LiveOptions, recognizer=None):
        self.options = options
        self.pipeline = Pipeline(options.ingest, recognizer)
        self.pipeline.recognizer  # noqa: B018 - load the model before the first call
        self.recogniser = SharedRecogniser(self.pipeline)
        self.store = Store(options.ingest.db)
        self.store.init()
        self.cleaned = clean_stale_status(self.store.root / "live" / "_active")
        self.batch = new_batch(None, "live", 0, options)
        self.calls: dict[str, Call] = {}
        self.active: set[str] = set()
        self._disk_checked, self._disk_bytes = -1e18, 0
        self.encoder = None  # the speaker model, when voices are enrolled
        if self.pipeline.voices:  # enrolled voices: mono calls are attributed online (load the model now)
            try:
                self.encoder = self.pipeline.speaker_encoder
            except Exception as e:  # noqa: BLE001 - live calls go on as mixed
                self.pipeline.warnings.append(f"mono calls stay 'mixed': the speaker model did not load ({e})")

    def attributor(self, start: Start) -> OnlineAttributor | None:
        """Attribution of a mono call's segments to the agent's enrolled voice; None without one."""
        if self.encoder is None:
            return None
        return OnlineAttributor.for_call(self.encoder, self.pipeline.voices, start.roles,
                                         start.metadata.get("agent") or start.metadata.get("teacher"))

    async def handle(self, ws) -> None:
        from websockets.exceptions import ConnectionClosed
        from websockets.protocol import State

        try:
            first = await asyncio.wait_for(ws.recv(), self.options.start_timeout_s)
            start = parse_start(first)
        except TimeoutError:
            await ws.close(1008, f"no start message within {self.options.start_timeout_s:g} s")
            return
        except BadStart as e:
            await ws.close(1008, str(e)[:120])
            return
        except ConnectionClosed:
            return
        if start.call_id in self.active:  # its old connection may have just dropped (its last frame in the VAD)
            old = self.calls.get(start.call_id)
            if old is not None and old.ws is not None and getattr(old.ws, "state", State.OPEN) is not State.OPEN:
                for _ in range(100):
                    if start.call_id not in self.active:
                        break
                    await asyncio.sleep(0.05)
        if start.call_id in self.active:
            await ws.close(1008, f"call {start.call_id} is already connected")
            return
        if len(self.active) >= self.options.max_calls:
            await ws.close(1013, f"server busy: {len(self.active)} calls in progress (the limit); try again later")
            return
        if start.call_id not in self.calls and self.disk_full():
            await ws.close(1013, "storage for live calls is full (max_disk_gb): no new calls are taken")
            return
        call = self.calls.get(start.call_id)
        if call is not None and call.finishing:
            await ws.close(1008, f"call {start.call_id} ended and is being stored: use a new call_id")
            return
        if call is not None:  # a dropped call coming back
            if (call.start.sample_rate, call.start.channels) != (start.sample_rate, start.channels):
                await ws.close(1008, "a resumed call must keep its sample rate and channels")
                return
            if call.expiry:
                call.expiry.cancel()
        else:
            call = self.calls[start.call_id] = Call(start, self)
            self.batch.n_files += 1
        self.active.add(start.call_id)
        call.ws = ws
        if call.sender is None:
            call.sender = asyncio.create_task(call.emit_loop())
        await call.send({"type": "ready", "call_id": start.call_id, "received_s": round(call.stream.duration_s, 3)})
        call.write_status()
        stopped = False
        pace = Pace(self.options.max_speed, self.options.burst_s)
        per_second = 2 * start.channels * start.sample_rate  # bytes of PCM per second of audio
        try:
            while True:
                msg = await asyncio.wait_for(ws.recv(), self.options.idle_timeout_s)
                if isinstance(msg, bytes):
                    await pace.wait(len(msg) / per_second)  # faster than allowed: throttled (not read meanwhile)
                    try:  # the VAD runs off the event loop: a heavy call does not hold up the others
                        closed = await asyncio.to_thread(call.stream.feed, msg)
                    except ValueError as e:
                        await ws.close(1003, str(e)[:120])
                        break
                    call.segments_closed(closed)
                    await call.tick()
                    if call.stream.duration_s > self.options.max_call_s:
                        stopped = True
                        break
                else:
                    try:
                        kind = json.loads(msg).get("type")
                    except (json.JSONDecodeError, AttributeError):
                        kind = None
                    if kind == "stop":
                        stopped = True
                        break
                    await ws.close(1003, 'text messages after start must be {"type": "stop"}')
                    break
        except (ConnectionClosed, TimeoutError):
            pass
        finally:
            self.active.discard(start.call_id)
        if stopped:
            stored = await call.finish()
            await call.send(stored)
            call.ws = None
            await ws.close(1000, "call stored")
            self.calls.pop(start.call_id, None)
        elif call.finishing:  # stored (or being stored) at shutdown while it was connected
            call.ws = None
        else:
            call.ws = None
            call.write_status()  # shown as disconnected until it resumes or is stored
            call.expiry = asyncio.create_task(self._store_later(call))

    DISK_CHECK_S = 60.0

    def disk_full(self) -> bool:
        """Whether the kept audio of live calls is over ``max_disk_gb`` (measured once a minute)."""
        limit = self.options.max_disk_gb
        if limit is None:
            return False
        now = time.monotonic()
        if now - self._disk_checked >= self.DISK_CHECK_S:
            folder = self.store.root / "live"
            self._disk_bytes = sum(f.stat().st_size for f in folder.rglob("*.wav") if f.is_file()) \
                if folder.is_dir() else 0
            self._disk_checked = now
        return self._disk_bytes > limit * 1e9

    async def _store_later(self, call: Call) -> None:
        await asyncio.sleep(self.options.resume_s)
        if call.start.call_id in self.active:
            return
        await call.finish()
        self.calls.pop(call.start.call_id, None)

    async def drain(self) -> None:
        """Store every call still waiting for a reconnection (at shutdown)."""
        for call in list(self.calls.values()):
            if call.expiry:
                call.expiry.cancel()
            await call.finish()
        self.calls.clear()
        self.batch.status, self.batch.finished_at = "finished", now()
        self.store.write_batch(self.batch)

    async def serve(self, ready: asyncio.Event | None = None, stop: asyncio.Event | None = None) -> None:
        from websockets.asyncio.server import serve

        o = self.options
        self.store.write_batch(self.batch)
        async with serve(self.handle, o.host, o.port, max_size=o.max_message_bytes, ping_interval=20) as server:
            o.port = server.sockets[0].getsockname()[1]  # port 0: the one the system gave
            if ready is not None:
                ready.set()
            try:
                await (stop.wait() if stop is not None else asyncio.Future())
            finally:
                await self.drain()
                await self.recogniser.close()


class InThread:
    """A LiveServer on its own event loop in a background thread (for embedding it in another
    program, the tests and the latency benchmark): ``url``, then ``stop()``."""

    def __init__(self, server: LiveServer, timeout_s: float = 60.0):
        import threading

        self.server = server
        self.loop = asyncio.new_event_loop()
        self._up = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="toneboard-live", daemon=True)
        self.thread.start()
        if not self._up.wait(timeout_s) or self._error:
            raise RuntimeError(f"the live server did not start: {self._error}")
        self.url = f"ws://{server.options.host}:{server.options.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main():
            self._stop, ready = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(self.server.serve(ready, self._stop))
            await asyncio.wait({task, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
            self._up.set()
            await task
        try:
            self.loop.run_until_complete(main())
        except BaseException as e:  # noqa: BLE001 - reported to the starting thread
            self._error = e
            self._up.set()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Stop serving; calls still waiting for a reconnection are stored first."""
        if not self.thread.is_alive():
            return
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(timeout_s)
