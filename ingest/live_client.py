"""The reference client of ``toneboard live`` (``toneboard live-send FILE``): streams a recording as
a call, in real time or faster, and collects the events (``ingest.live_protocol``)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path

from .decode import SAMPLE_RATE
from .stream import pcm16


async def send_file(path: Path, url: str, call_id: str | None = None, speed: float = 1.0, kind: str = "service",
                    metadata: dict | None = None, frame_s: float = 0.1, on_event=None, on_start=None) -> list[dict]:
    """Stream a recording as a live call (real time, or ``speed`` times faster; 0: as fast as
    possible) and return the events the server sent, the last being ``stored``. Each event gets
    ``received_at`` (time.time()); ``on_start(t)`` is told when the first audio frame goes out."""
    from websockets.asyncio.client import connect

    from .decode import decode

    audio = decode(Path(path)).samples
    channels = audio.shape[0]
    pcm, width = pcm16(audio), 2 * channels  # bytes per sample frame
    step = int(frame_s * SAMPLE_RATE)
    events: list[dict] = []
    async with connect(url, max_size=1 << 22) as ws:
        await ws.send(json.dumps({"type": "start", "call_id": call_id or Path(path).stem[:100] or "call",
                                  "sample_rate": SAMPLE_RATE, "channels": channels, "kind": kind,
                                  "metadata": metadata or {}}))

        async def receive():
            async for msg in ws:
                ev = json.loads(msg)
                ev["received_at"] = time.time()
                events.append(ev)
                if on_event:
                    on_event(ev)
        reader = asyncio.create_task(receive())
        t0 = time.monotonic()
        if on_start:
            on_start(time.time())
        try:
            for i in range(0, audio.shape[1], step):
                await ws.send(pcm[i * width:(i + step) * width])
                if speed > 0:
                    ahead = t0 + (i + step) / SAMPLE_RATE / speed - time.monotonic()
                    if ahead > 0:
                        await asyncio.sleep(ahead)
            await ws.send(json.dumps({"type": "stop"}))
        except BaseException:  # the server went away while sending: the reader's error is the same one
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
            raise
        await reader
    return events
