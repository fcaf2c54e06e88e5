"""A raw HTTP/1.1 client for the hostile corpus: it sends exactly the bytes an attack needs (lying
lengths, bodies that stop or trickle, bytes that are not text) and reads whatever comes back.

Each request goes on its own connection (``Connection: close``) with its own ``X-Forwarded-For``
address, so that one attack's rate limit does not answer for another's (the services under test trust
127.0.0.1 as their proxy). The answer is read while the body is still being sent: a server that
refuses early (413 from ``Content-Length``) is heard, not mistaken for a broken pipe.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from tests.hostile.http_corpus import Endpoint, Hostile

CHUNK = 64 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    """What went wrong on the client's side (no answer at all), if anything."""

    def reason(self) -> str | None:
        """The refusal's reason as a person would read it, or None when the answer has none."""
        text = self.body.decode("utf-8", "replace")
        kind = self.headers.get("content-type", "")
        if kind.startswith("application/json"):
            try:
                document: Any = json.loads(text)
            except ValueError:
                return None
            if isinstance(document, dict):
                reasons = document.get("reasons") or []
                ok = reasons and all(r.get("message_id") and r.get("message_en") for r in reasons)
                return "; ".join(f"{r['code']}: {r['message_en']}" for r in reasons) if ok else None
            if isinstance(document, list):  # Open311's own error format
                ok = document and all(isinstance(e, dict) and e.get("description") for e in document)
                return "; ".join(e["description"] for e in document) if ok else None
            return None
        if kind.startswith("text/html") and len(text) > 50:
            return self.headers.get("x-lapor-refusal") or "an HTML page"
        return None


def _target(endpoint: Endpoint, hostile: Hostile) -> str:
    return endpoint.path.replace("{value}", hostile.value if hostile.value is not None else "LPR-7Y17-M5MCV")


def _body(endpoint: Endpoint, hostile: Hostile) -> tuple[bytes, str | None]:
    if endpoint.kind == "form":
        kind = "application/x-www-form-urlencoded"
        body = endpoint.form.encode() + hostile.form_tail
    elif endpoint.kind == "json":
        kind, body = "application/json", endpoint.json
    else:
        kind, body = None, b""
    if hostile.body is not None:
        body = hostile.body
    return body, hostile.content_type or kind


def request_head(endpoint: Endpoint, hostile: Hostile, client: str, port: int) -> tuple[bytes, bytes]:
    """The request line and headers, and the body, as they go on the wire."""
    body, kind = _body(endpoint, hostile)
    method = hostile.method or endpoint.method
    given = {name.lower(): value for name, value in (*endpoint.headers, *hostile.headers)}
    headers = {"host": f"127.0.0.1:{port}", "connection": "close", "x-forwarded-for": client,
               "accept": "text/html" if endpoint.html else "application/json", **given}
    if kind is not None and method != "GET":
        headers["content-type"] = kind
    if hostile.chunked:
        headers["transfer-encoding"] = "chunked"
    elif method != "GET" or body:
        headers["content-length"] = str(hostile.declared_length if hostile.declared_length is not None else len(body))
    head = f"{method} {_target(endpoint, hostile)} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode("latin-1"), body


async def _pieces(body: bytes, hostile: Hostile) -> AsyncIterator[bytes]:
    if hostile.trickle_s:
        for i in range(len(body)):
            yield body[i:i + 1]
            await asyncio.sleep(hostile.trickle_s)
        return
    for start in range(0, len(body), CHUNK):
        piece = body[start:start + CHUNK]
        yield (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if hostile.chunked else piece
    if hostile.chunked:
        yield b"0\r\n\r\n"
    if hostile.declared_length is not None:
        await asyncio.sleep(3600)  # promised more than this, and never sends it


def parse(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        decoded, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2:]
        body = decoded
    return Answer(status, headers, body)


async def exchange(port: int, head: bytes, pieces: AsyncIterator[bytes] | None, timeout: float = 20.0) -> Answer:
    """Send ``head`` and then ``pieces`` while reading the answer; the answer, once the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def send() -> None:
        try:
            writer.write(head)
            await writer.drain()
            if pieces is not None:
                async for piece in pieces:
                    writer.write(piece)
                    await writer.drain()
        except (ConnectionError, OSError):
            pass  # the server answered and closed while we were still sending: fine

    sender = asyncio.create_task(send())
    received = bytearray()
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    chunk = await reader.read(CHUNK)
                except (ConnectionError, OSError):
                    break  # reset after the answer: what came before it counts
                if not chunk:
                    break
                received += chunk
    except TimeoutError:
        return Answer(0, error=f"no answer within {timeout:g} s ({len(received)} bytes)")
    finally:
        sender.cancel()
        writer.close()
    if not received:
        return Answer(0, error="connection closed without an answer")
    return parse(bytes(received))


async def send(endpoint: Endpoint, hostile: Hostile, *, port: int, client: str) -> list[Answer]:
    """Every answer to ``hostile`` sent to ``endpoint`` (``repeat`` times, from one client address)."""
    answers = []
    for _ in range(hostile.repeat):
        if hostile.raw is not None:
            answers.append(await exchange(port, hostile.raw, None))
            continue
        head, body = request_head(endpoint, hostile, client, port)
        answers.append(await exchange(port, head, _pieces(body, hostile)))
    return answers
