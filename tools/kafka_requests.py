"""What clients ask a Kafka broker: a TCP proxy in front of it that counts the requests passing through.

The idle platform's broker spends its CPU answering requests (fetches, heartbeats, metadata, offsets), so
counting them per API and per client id says where that CPU goes and which service asks (issue 17).
``tools/bench_idle.py --requests`` puts an embedded Tansu behind a ``CountingProxy``: the broker advertises the
proxy's port, so every connection a client opens, the first one and those to the broker it learns from the
metadata, passes through the proxy.

Only the frames' headers are read, never their bodies: a request is a 4-byte big-endian length, then
api_key (int16), api_version (int16), correlation_id (int32) and client_id (int16 length, -1 for none,
then the bytes); a response is a length, then the correlation_id of the request it answers. Responses come
back in the order of their requests on each connection, except that some requests get none (a Produce with
acks=0): a response is matched to the oldest waiting request with its correlation id.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
    10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
    15: "DescribeGroups", 16: "ListGroups", 17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics",
    20: "DeleteTopics", 21: "DeleteRecords", 22: "InitProducerId", 23: "OffsetForLeaderEpoch",
    24: "AddPartitionsToTxn", 25: "AddOffsetsToTxn", 26: "EndTxn", 28: "TxnOffsetCommit", 32: "DescribeConfigs",
    33: "AlterConfigs", 36: "SaslAuthenticate", 37: "CreatePartitions", 42: "DeleteGroups", 47: "OffsetDelete",
    60: "DescribeCluster",
}
"""The APIs a Kafka client sends, by key (the broker-to-broker ones are left out)."""

NO_CLIENT_ID = "(none)"
UNMATCHED = "(unmatched)"
"""A response whose request was not seen (the connection was counted from its middle): its bytes go here."""


def api_name(key: int) -> str:
    return API_NAMES.get(key, f"api-{key}")


@dataclass
class Tally:
    """Requests per API and per client id, and the bytes of the responses per API (length prefix included)."""

    requests: Counter[str] = field(default_factory=Counter)
    response_bytes: Counter[str] = field(default_factory=Counter)
    by_client: dict[str, Counter[str]] = field(default_factory=dict)


class RequestCounter:
    """Counts for every connection of a proxy. The proxy's loop counts while another thread may take a
    ``snapshot`` or ``reset`` (the start of a measuring window), hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tally = Tally()

    def connection(self) -> Connection:
        return Connection(self)

    def reset(self) -> None:
        with self._lock:
            self._tally = Tally()

    def snapshot(self) -> Tally:
        with self._lock:
            t = self._tally
            return Tally(Counter(t.requests), Counter(t.response_bytes),
                         {client: Counter(apis) for client, apis in t.by_client.items()})

    def count_request(self, api: str, client_id: str) -> None:
        with self._lock:
            self._tally.requests[api] += 1
            self._tally.by_client.setdefault(client_id, Counter())[api] += 1

    def count_response(self, api: str, size: int) -> None:
        with self._lock:
            self._tally.response_bytes[api] += size


def _frames(buffer: bytearray) -> list[bytes]:
    """Take every complete frame off the front of ``buffer`` (their bodies, without the length); a partial
    frame stays for the next read."""
    frames, start = [], 0
    while len(buffer) - start >= 4:
        (size,) = struct.unpack_from(">i", buffer, start)
        if size < 0:  # not Kafka: drop what is buffered rather than loop (the bytes are forwarded all the same)
            start = len(buffer)
            break
        if len(buffer) - start - 4 < size:
            break
        frames.append(bytes(buffer[start + 4:start + 4 + size]))
        start += 4 + size
    del buffer[:start]
    return frames


class Connection:
    """One client connection: its two byte streams, fed as they pass (``from_client``, ``from_broker``)."""

    def __init__(self, counter: RequestCounter) -> None:
        self._counter = counter
        self._up = bytearray()
        self._down = bytearray()
        self._waiting: deque[tuple[int, str]] = deque()  # (correlation id, API) of requests not yet answered

    def from_client(self, data: bytes) -> None:
        self._up += data
        for frame in _frames(self._up):
            if len(frame) < 8:
                continue  # not a request header; nothing sensible to count
            key, _version, correlation_id = struct.unpack_from(">hhi", frame)
            client_id = NO_CLIENT_ID
            if len(frame) >= 10:
                (length,) = struct.unpack_from(">h", frame, 8)
                if length >= 0:
                    client_id = frame[10:10 + length].decode("utf-8", "replace")
            self._waiting.append((correlation_id, api_name(key)))
            self._counter.count_request(api_name(key), client_id)

    def from_broker(self, data: bytes) -> None:
        self._down += data
        for frame in _frames(self._down):
            correlation_id = struct.unpack_from(">i", frame)[0] if len(frame) >= 4 else None
            api = UNMATCHED
            for i, (waiting_id, waiting_api) in enumerate(self._waiting):
                if waiting_id == correlation_id:
                    api = waiting_api
                    for _ in range(i + 1):  # those before it got no response (acks=0) and will get none
                        self._waiting.popleft()
                    break
            self._counter.count_response(api, 4 + len(frame))


def rates(tally: Tally, seconds: float) -> dict[str, object]:
    """The tally per second, for the results JSON and ``table``: per API the requests and the response KiB,
    per client id the requests, in all and per API; busiest first."""
    per_api = {api: {"per_second": round(n / seconds, 2),
                     "response_kib_per_second": round(tally.response_bytes[api] / 1024 / seconds, 2)}
               for api, n in tally.requests.most_common()}
    per_client = {client: {"per_second": round(apis.total() / seconds, 2),
                           "per_api": {api: round(n / seconds, 2) for api, n in apis.most_common()}}
                  for client, apis in sorted(tally.by_client.items(), key=lambda kv: -kv[1].total())}
    return {"seconds": round(seconds, 1), "per_second": round(tally.requests.total() / seconds, 2),
            "response_kib_per_second": round(tally.response_bytes.total() / 1024 / seconds, 2),
            "per_api": per_api, "per_client": per_client}


def table(counted: dict[str, object]) -> str:
    """``rates`` as lines to print: the APIs, then the client ids."""
    per_api, per_client = counted["per_api"], counted["per_client"]
    assert isinstance(per_api, dict) and isinstance(per_client, dict)
    lines = [f"requests to Kafka over {counted['seconds']} s: {counted['per_second']:.1f}/s, "
             f"responses {counted['response_kib_per_second']:.1f} KiB/s"]
    lines += [f"  {api:<20} {row['per_second']:7.1f}/s {row['response_kib_per_second']:8.1f} KiB/s"
              for api, row in per_api.items()]
    lines.append("per client id")
    lines += [f"  {client:<20} {row['per_second']:7.1f}/s  "
              + ", ".join(f"{api} {n:.1f}" if n >= 0.1 else f"{api} {n:.2f}" for api, n in row["per_api"].items())
              for client, row in per_client.items()]
    return "\n".join(lines)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: Callable[[bytes], None]) -> None:
    """Copy one direction until it ends, then close the other side (which ends the opposite pump)."""
    try:
        while data := await reader.read(65536):
            count(data)  # before forwarding: once a client has its answer, the answer is counted
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


class CountingProxy:
    """Forwards every connection made to ``listen_port`` (0: any free one, read back after ``start``) to the
    broker at ``upstream_host``:``upstream_port``, counting in ``counter`` what passes. The broker need not be
    up at ``start``: a connection made before it is closed at once, as a refused one would be."""

    def __init__(self, upstream_host: str, upstream_port: int, *, listen_port: int = 0,
                 listen_host: str = "127.0.0.1", counter: RequestCounter | None = None) -> None:
        self.upstream_host, self.upstream_port = upstream_host, upstream_port
        self.listen_host, self.listen_port = listen_host, listen_port
        self.counter = counter or RequestCounter()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[object]] = set()

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.listen_host}:{self.listen_port}"

    async def start(self) -> CountingProxy:
        self._server = await asyncio.start_server(self._serve, self.listen_host, self.listen_port)
        self.listen_port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            try:
                broker_reader, broker_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
            except OSError:
                client_writer.close()
                return
            connection = self.counter.connection()
            try:
                await asyncio.gather(_pump(client_reader, broker_writer, connection.from_client),
                                     _pump(broker_reader, client_writer, connection.from_broker))
            finally:
                broker_writer.close()
                client_writer.close()
        finally:
            self._connections.discard(task)


class ProxyThread:
    """A ``CountingProxy`` on an event loop of its own in a daemon thread, for synchronous callers
    (``tools/bench_idle.py``): its CPU is then the caller's process's, not the measured platform's."""

    def __init__(self, proxy: CountingProxy) -> None:
        self.proxy = proxy
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kafka-counting-proxy", daemon=True)

    def start(self) -> ProxyThread:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(10)
        return self

    def cpu_seconds(self) -> float:
        """The CPU time the proxy's thread has used so far (user and system)."""
        for thread in psutil.Process().threads():
            if thread.id == self._thread.native_id:
                return float(thread.user_time + thread.system_time)
        return 0.0

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
