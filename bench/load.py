"""A lean open-loop HTTP/1.1 load generator for the benchmarks.

httpx costs the sending process milliseconds of CPU per request once hundreds are in
flight (its pool scans every waiting request); on the two cores the system under test
shares with the benchmark, that would measure the client. This keeps a pool of keep-alive
connections over asyncio streams and writes requests by hand: tens of microseconds each.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any


class Connections:
    """Keep-alive connections to one server, each carrying one request at a time."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port, self.size = host, port, size
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def open(self) -> None:
        for _ in range(self.size):
            self._idle.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def reopen(self) -> None:
        """Open every connection afresh (the server closes keep-alive connections that
        were idle for a few seconds)."""
        await self.close()
        await self.open()

    async def close(self) -> None:
        while not self._idle.empty():
            _reader, writer = self._idle.get_nowait()
            writer.close()

    async def request(self, method: str, path: str, body: Any = None) -> int:
        """Send one request (a JSON body when given) and return the response's status.

        Waiting for a free connection counts in the caller's latency, as it would for a
        person whose request queues.
        """
        payload = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Length: {len(payload)}\r\n"
            + ("Content-Type: application/json\r\n" if body is not None else "")
            + "\r\n"
        ).encode()
        reader, writer = await self._idle.get()
        try:
            writer.write(head + payload)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            self._idle.put_nowait(await asyncio.open_connection(self.host, self.port))
            raise
        self._idle.put_nowait((reader, writer))
        return status


async def open_loop(
    rate: int, seconds: int, send: Callable[[int], Awaitable[int]]
) -> tuple[list[float], list[int]]:
    """Send ``rate * seconds`` requests, each at its planned time whether or not the
    earlier ones were answered; return the latencies (ms) and the statuses (0: no answer)."""
    latencies: list[float] = []
    codes: list[int] = []
    start = time.perf_counter()

    async def one(n: int) -> None:
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        sent = time.perf_counter()
        try:
            codes.append(await asyncio.wait_for(send(n), timeout=60))
        except (OSError, ValueError, IndexError, TimeoutError, asyncio.IncompleteReadError):
            codes.append(0)  # no answer at all: counted, as a person would see it
        latencies.append((time.perf_counter() - sent) * 1000)

    await asyncio.gather(*(one(n) for n in range(rate * seconds)))
    return latencies, codes


def _busy_and_total() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


async def settle(*, busy_below: float = 0.15, seconds: float = 2.0, at_most: float = 90.0) -> float:
    """Wait until the machine has been nearly idle for ``seconds`` (a stack just started
    is still importing and starting its services), at most ``at_most``; return the share
    of the CPUs busy in the last window."""
    deadline = time.monotonic() + at_most
    while True:
        busy, total = _busy_and_total()
        await asyncio.sleep(seconds)
        busy_after, total_after = _busy_and_total()
        share = (busy_after - busy) / max(1, total_after - total)
        if share < busy_below or time.monotonic() > deadline:
            return share
