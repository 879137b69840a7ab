"""The reference client of ``toneboard live`` (``toneboard live-send FILE``): streams a recording as
a call, in real time or faster, and collects the events (``ingest.live.protocol``)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from pathlib import Path

from ..decode import SAMPLE_RATE, pcm16

TOKEN_ENV = "TONEBOARD_LIVE_TOKEN"  # live-send's token, when --token is not given


async def send_file(path: Path, url: str, call_id: str | None = None, speed: float = 1.0, kind: str = "service",
                    metadata: dict | None = None, frame_s: float = 0.1, on_event=None, on_start=None,
                    token: str | None = None) -> list[dict]:
    """Stream a recording as a live call (real time, or ``speed`` times faster; 0: as fast as
    possible) and return the events the server sent, the last being ``stored``. Each event gets
    ``received_at`` (time.time()); ``on_start(t)`` is told when the first audio frame goes out.
    ``token``: the server's live token for this client (default: $TONEBOARD_LIVE_TOKEN)."""
    from websockets.asyncio.client import connect

    from ..decode import decode

    audio = decode(Path(path)).samples
    channels = audio.shape[0]
    pcm, width = pcm16(audio), 2 * channels  # bytes per sample frame
    step = int(frame_s * SAMPLE_RATE)
    events: list[dict] = []
    token = token or os.environ.get(TOKEN_ENV)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with connect(url, max_size=1 << 22, additional_headers=headers) as ws:
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


class SendFailed(Exception):
    """``toneboard live-send`` could not have its call stored; the message says why and what to do.
    ``usage``: the file or the address is wrong (else the server went away)."""

    def __init__(self, message: str, usage: bool):
        super().__init__(message)
        self.usage = usage


def send_and_print(path: Path, url: str, call_id: str | None, speed: float, kind: str, token: str | None = None) -> None:
    """``toneboard live-send``: stream the file as a call and print each event as a JSON line;
    raises ``SendFailed`` unless the call was stored."""
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

    from ..decode import DecodeError

    def show(ev: dict) -> None:
        print(json.dumps({k: v for k, v in ev.items() if k not in ("sent_at", "received_at")}, ensure_ascii=False),
              flush=True)
    try:
        events = asyncio.run(send_file(path, url, call_id, speed, kind, on_event=show, token=token))
    except DecodeError as e:
        raise SendFailed(f"{path}: {e}", usage=True) from None
    except InvalidStatus as e:  # refused at the handshake
        if e.response.status_code == 401:
            raise SendFailed(f"{url} wants a live token: --token (or ${TOKEN_ENV}) with one its admin made "
                             "(toneboard live-token add NAME)", usage=True) from None
        raise SendFailed(f"cannot reach {url}: {e}", usage=True) from None
    except (OSError, InvalidURI, InvalidHandshake) as e:
        raise SendFailed(f"cannot reach {url}: {e}", usage=True) from None
    except ConnectionClosed as e:  # the server went away (stopped, crashed) or closed the call
        why = f"{e.rcvd.code} {e.rcvd.reason}".strip() if e.rcvd else "no close frame: the server went away"
        raise SendFailed(f"the server closed the connection before the call was stored ({why}); what arrived is "
                         "stored after the server's resume time. Send the file again when the server is back (use "
                         "another --call-id while the first one waits: only its first client may resume it)",
                         usage=False) from None
    if not events or events[-1].get("type") != "stored":
        raise SendFailed("the connection ended before the call was stored", usage=False)


def add_arguments(p) -> None:
    """``toneboard live-send``'s options."""
    from ..options import KINDS

    p.add_argument("file", type=Path)
    p.add_argument("--url", default="ws://127.0.0.1:8765", help="the live server (default: %(default)s)")
    p.add_argument("--call-id", help="the call's id (default: the file name)")
    p.add_argument("--speed", type=float, default=1.0, help="1 real time, 4 four times faster, 0 as fast as possible")
    p.add_argument("--kind", choices=KINDS, default="service")
    p.add_argument("--token", help=f"the live token the server's admin made (toneboard live-token add NAME; default: ${TOKEN_ENV})")
