"""Live analysis of calls in progress: ``toneboard live`` runs a WebSocket server, one call per
connection (the protocol: ``ingest.live.protocol``; the reference client: ``ingest.live.client``).

Each call's audio goes through a streaming VAD per channel (``ingest.live.stream``); every closed
segment is recognised at once by one model shared by all calls (segments waiting from several
calls go to it together), and its events and live-rule alerts are sent back in order.

A dropped connection loses nothing received: the call waits ``resume_s`` for the same call_id to
reconnect (``ready`` says how much audio arrived; the client goes on from there), then it is
stored like any ingested recording (audio kept as a WAV, segments, pauses; alerts become risk
tickets), exactly once. Bad input closes that connection with a reason, and nothing else.

This module is the server (accepting, resuming and storing calls, its limits and status files);
one call's state and its recognition are ``ingest.live.call``.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..analyse import Heard, Pipeline
from ..batch.job import failure, file_id
from ..batch.pipeline import AfterBatch, new_batch
from ..decode import SAMPLE_RATE, AudioInfo, DecodedAudio, write_wav
from ..models.header import latest_threshold
from ..options import IngestOptions, hours
from ..records import Ticket, now
from ..speakers.attribute import OnlineAttributor
from ..store import Store, pid_alive
from .call import Call, CallSettings, Pace, SharedRecogniser  # noqa: F401 - Pace: callers import it from here
from .protocol import BadStart, Start, parse_start
from .stream import Closed
from .tokens import Tokens


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
    def __init__(self, options: LiveOptions, recognizer=None, after_call: AfterBatch | None = None):
        self.options = options
        self.after_call = after_call  # called with a stored call's id (the product: the risk queue)
        self.pipeline = Pipeline(options.ingest, recognizer)
        self.pipeline.recognizer  # noqa: B018 - load the model before the first call
        self.recogniser = SharedRecogniser(self.pipeline)
        self.call_settings = CallSettings(self.pipeline.vad_settings, options.rule_language, options.ingest.keep_pii,
                                          options.ingest.pause_threshold_s)
        self.store = Store(options.ingest.db)
        self.store.init()
        self.cleaned = clean_stale_status(self.store.live_status())
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

    def threshold(self, tag: str) -> float:
        """The team's threshold for ``tag`` as the store has it now (a call reads it when it starts)."""
        return latest_threshold(self.store.table_files("tag_thresholds"), tag)

    def attributor(self, start: Start) -> OnlineAttributor | None:
        """Attribution of a mono call's segments to the agent's enrolled voice; None without one."""
        if self.encoder is None:
            return None
        return OnlineAttributor.for_call(self.encoder, self.pipeline.voices, start.roles,
                                         start.metadata.get("agent") or start.metadata.get("teacher"))

    # -- what a call asks of its server (live_call.CallHost) ---------------------------------
    def status_path(self, call_id: str) -> Path:
        return self.store.live_status() / f"{call_id}.json"

    def recognise(self, audio: np.ndarray):
        return self.recogniser.recognise(audio)

    def store_call(self, call: Call, recognised: list) -> tuple[str | None, int, str | None]:
        """Keep an ended call's audio (named by its hash, as an ingested file is) and store it with
        its live alerts as tickets: (recording id, segments, why not stored)."""
        start, audio = call.start, call.stream.audio()
        staged = self.store.live_audio() / f".{uuid.uuid4().hex}.wav"
        staged.parent.mkdir(parents=True, exist_ok=True)
        write_wav(staged, audio)
        rid = file_id(staged)  # as for an ingested file: ingesting this WAV later finds it stored
        path = self.store.live_audio() / rid / f"{start.call_id}.wav"
        path.parent.mkdir(exist_ok=True)
        os.replace(staged, path)
        if self.store.has_recording(rid):
            return rid, len(recognised), None
        if not recognised:  # as for a file: a failure with its reason (the audio is kept)
            reason = f"no speech found in live call {start.call_id} ({call.stream.duration_s:.1f} s of audio)"
            failure(path, rid, "vad", reason, self.store, self.batch)
            self.batch.n_failed += 1
            self.store.write_batch(self.batch)
            return None, 0, reason
        info = AudioInfo("wav", "pcm_s16le", audio.shape[1] / SAMPLE_RATE, start.sample_rate, start.channels,
                         call.started_at.isoformat())
        closed: list[Closed] = [c for c, _ in recognised]
        heard = Heard(DecodedAudio(info, audio, False), [(c.start_s, c.end_s, c.channel) for c in closed])
        fields = {"kind": start.kind, "recorded_at": call.started_at.isoformat(sep=" "), "channel_roles": start.roles}
        try:
            self.pipeline.tell_apart(heard, fields)  # a mono call: who spoke, as for an ingested file
        except Exception as e:  # noqa: BLE001 - stored without speakers rather than lost
            self.pipeline.warnings.append(f"call {start.call_id}: speakers not told apart: {type(e).__name__}: {e}")
        rec, segments, pauses = self.pipeline.assemble(heard, [r for _, r in recognised], path, rid, fields,
                                                       {**start.metadata, "call_id": start.call_id}, self.batch.batch_id)
        self.store.write_recording(rec, segments, pauses)
        by_rule: dict[str, list] = {}
        for a in call.alerts:
            by_rule.setdefault(a.rule, []).append({"start_s": a.at_s, "end_s": a.at_s, "what": a.detail})
        for rule, evidence in by_rule.items():
            self.store.open_ticket(Ticket(recording_id=rid, rule_id=f"live:{rule}", rule_name=f"live alert: {rule}", severity="high",
                                          evidence=evidence))
        if self.after_call is not None:
            self.pipeline.warnings += self.after_call([rid])
        self.batch.n_ingested += 1
        self.batch.audio_s = round(self.batch.audio_s + rec.duration_s, 3)
        self.store.write_batch(self.batch)
        return rid, len(segments), None

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
        if call is not None:  # a dropped call coming back: only the client that started it
            if not (start.resume_token and hmac.compare_digest(start.resume_token, call.resume_token)):
                await ws.close(1008, f"call {start.call_id} is waiting to resume: send the resume_token its ready "
                                     "message gave, or use a new call_id")
                return
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
        await call.send({"type": "ready", "call_id": start.call_id, "received_s": round(call.stream.duration_s, 3),
                         "resume_token": call.resume_token})
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
            folder = self.store.live_audio()
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
        async with serve(self.handle, o.host, o.port, max_size=o.max_message_bytes, ping_interval=20,
                         process_request=Tokens(o.ingest.db).process_request) as server:  # live-token
            o.port = server.sockets[0].getsockname()[1]  # port 0: the one the system gave
            if ready is not None:
                ready.set()
            try:
                await (stop.wait() if stop is not None else asyncio.Future())
            finally:
                await self.drain()
                await self.recogniser.close()

    def run_until_signalled(self, on_ready=None) -> None:
        """Serve until SIGTERM (systemd, Docker, Kubernetes) or SIGINT (Ctrl-C): both store every
        call in progress, then return. ``on_ready()`` once the port is open."""
        import signal

        async def main() -> None:
            stop, ready = asyncio.Event(), asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            task = asyncio.create_task(self.serve(ready, stop))
            await asyncio.wait({task, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
            if ready.is_set() and on_ready is not None:
                on_ready()
            await task

        asyncio.run(main())


def add_arguments(p) -> None:
    """``toneboard live``'s options (with ``options.add_model_arguments``); ``options_from_args``."""
    d = LiveOptions()
    p.add_argument("--host", default=d.host, help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=d.port, help="port (default: %(default)s)")
    p.add_argument("--resume-s", type=float, default=d.resume_s, metavar="S",
                   help="how long a dropped call waits for its call_id to reconnect before it is stored (default: %(default)g)")
    p.add_argument("--alerts-lang", dest="rule_language", choices=["en", "zh"], default=d.rule_language,
                   help="language of the suggested actions")
    lim = p.add_argument_group("limits (one abusive client cannot slow the others or fill the disk)")
    lim.add_argument("--max-calls", type=int, default=d.max_calls, help="calls connected at once; more are refused (default: %(default)s)")
    lim.add_argument("--max-speed", type=float, default=d.max_speed, metavar="X",
                     help="audio may arrive at most X times faster than real time, after a 30 s burst; faster "
                          "senders are throttled (default: %(default)g)")
    lim.add_argument("--max-call-h", dest="max_call_s", type=hours, default=d.max_call_s, metavar="H",
                     help=f"a call longer than this is stopped and stored (default: {d.max_call_s / 3600:g})")
    lim.add_argument("--max-disk-gb", type=float, default=d.max_disk_gb, metavar="GB",
                     help="kept audio of live calls; beyond it new calls are refused (default: %(default)g; 0: no limit)")


def options_from_args(a) -> LiveOptions:
    from ..options import from_args, given

    values = given(LiveOptions, a)
    values["max_disk_gb"] = values.get("max_disk_gb") or None  # 0: no limit
    return LiveOptions(from_args(a), **values)


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
