"""Local message sinks for development: what notify sends, caught and shown instead of delivered.

    uv run python -m tools.sinks --smtp-port 1025 --http-port 8025

- **Mail**: an SMTP server (aiosmtpd) on ``--smtp-port``; notify's default ``LAPOR_SMTP__PORT`` is 1025.
- **SMS**: ``POST /sms`` on ``--http-port`` acts as the HTTP SMS gateway (notify's default
  ``LAPOR_SMS__URL`` is ``http://127.0.0.1:8025/sms``).
- **Webhooks**: ``POST /webhook/<anything>`` acts as an agency system; with ``--webhook-secret
  umum.18.71=demo-secret-umum.18.71`` the signature of ``/webhook/umum.18.71`` is checked and the result
  stored as ``signature_valid``.
- ``GET /`` lists everything received as JSON (newest last; ``?kind=email|sms|webhook`` filters,
  ``?limit=N``); ``DELETE /`` empties it; ``GET /healthz`` answers ``ok``.

Messages are kept in memory (the last ``--keep``) and, with ``--store FILE``, appended as JSON lines.
This is a development tool: it shows addresses and contents, so never point a production notify at it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import signal
import sys
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Store:
    def __init__(self, keep: int, path: Path | None) -> None:
        self.messages: deque[dict[str, Any]] = deque(maxlen=keep)
        self.path = path
        self.count = 0

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.count += 1
        item = {"id": self.count, "kind": kind, "received_at": datetime.now(UTC).isoformat(), **fields}
        self.messages.append(item)
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
        summary = fields.get("subject") or fields.get("text") or fields.get("path") or ""
        print(f"[{kind}] #{item['id']} {str(summary)[:100]}", flush=True)
        return item


class MailHandler:
    """aiosmtpd handler: every message accepted, parsed and stored."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        body = mail.get_body(preferencelist=("plain", "html"))
        self.store.add(
            "email", mail_from=envelope.mail_from, to=list(envelope.rcpt_tos), subject=str(mail["Subject"] or ""),
            message_id=str(mail["Message-ID"] or ""), delivery_id=str(mail["X-Lapor-Delivery"] or ""),
            tracking_number=str(mail["X-Lapor-Tracking-Number"] or ""),
            text=body.get_content() if body is not None else "",
        )
        return "250 Message accepted for delivery"


def signature_valid(secret: str, headers: dict[str, str], body: bytes, tolerance_s: float = 300) -> bool:
    """The receiver's side of notify's webhook signature (see docs/notify.md)."""
    timestamp = headers.get("x-lapor-timestamp", "")
    signature = headers.get("x-lapor-signature", "")
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance_s
    except ValueError:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return fresh and hmac.compare_digest(expected, signature)


class HttpSink:
    def __init__(self, store: Store, webhook_secrets: dict[str, str]) -> None:
        self.store = store
        self.secrets = webhook_secrets

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = h.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                status, document = self.route(method, target, headers, body)
                payload = json.dumps(document, ensure_ascii=False, indent=1).encode()
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}\r\n"
                    f"Content-Type: application/json; charset=utf-8\r\nContent-Length: {len(payload)}\r\n\r\n"
                    .encode() + payload
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()

    def route(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        url = urlsplit(target)
        query = parse_qs(url.query)
        if method == "GET" and url.path in ("/healthz", "/readyz"):
            return 200, {"status": "ok"}
        if method == "GET" and url.path == "/":
            kind = query.get("kind", [None])[0]
            limit = int(query.get("limit", ["200"])[0])
            items = [m for m in self.store.messages if kind is None or m["kind"] == kind]
            return 200, {"count": len(items), "messages": items[-limit:]}
        if method == "DELETE" and url.path == "/":
            self.store.messages.clear()
            return 200, {"status": "cleared"}
        if method == "POST" and url.path == "/sms":
            fields = _fields(headers, body)
            item = self.store.add("sms", path=url.path, to=fields.get("to"), text=fields.get("text"),
                                  sender=fields.get("from"), reference=fields.get("reference"),
                                  authorization=bool(headers.get("authorization")),
                                  idempotency_key=headers.get("idempotency-key"))
            return 200, {"status": "queued", "id": item["id"]}
        if method == "POST" and url.path.startswith("/webhook/"):
            name = url.path.removeprefix("/webhook/")
            secret = self.secrets.get(name)
            document: Any
            try:
                document = json.loads(body)
            except json.JSONDecodeError:
                document = body.decode("utf-8", errors="replace")
            item = self.store.add(
                "webhook", path=url.path, delivery_id=headers.get("x-lapor-delivery"),
                signature_valid=signature_valid(secret, headers, body) if secret else None,
                subject=document.get("subject") if isinstance(document, dict) else None, document=document,
            )
            if secret and not item["signature_valid"]:
                return 401, {"error": "bad signature"}
            return 200, {"status": "received", "id": item["id"]}
        return 404, {"error": f"no route for {method} {url.path}"}


def _fields(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    if headers.get("content-type", "").startswith("application/json"):
        with contextlib.suppress(json.JSONDecodeError):
            data = json.loads(body)
            return data if isinstance(data, dict) else {}
        return {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", errors="replace")).items()}


async def run(args: argparse.Namespace) -> None:
    from aiosmtpd.smtp import SMTP

    store = Store(args.keep, args.store)
    secrets = dict(item.split("=", 1) for item in args.webhook_secret)
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(lambda: SMTP(MailHandler(store), hostname="sink.lapor.test"),
                                    args.host, args.smtp_port)
    http = await asyncio.start_server(HttpSink(store, secrets).serve, args.host, args.http_port)
    print(f"Penampung pesan siap / sinks ready: SMTP {args.host}:{args.smtp_port}, "
          f"HTTP http://{args.host}:{args.http_port}/ (POST /sms, POST /webhook/<id>, GET /)", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        smtp.close()
        http.close()
        await smtp.wait_closed()
        await http.wait_closed()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Penampung surel, SMS dan webhook lokal / local mail, SMS and "
                                            "webhook sinks for notify")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--smtp-port", type=int, default=1025)
    p.add_argument("--http-port", type=int, default=8025)
    p.add_argument("--keep", type=int, default=1000, help="messages kept in memory (default 1000)")
    p.add_argument("--store", type=Path, help="also append every message to this JSON-lines file")
    p.add_argument("--webhook-secret", action="append", default=[], metavar="ID=SECRET",
                   help="check signatures of POST /webhook/ID with SECRET (repeatable)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(run(args))
    except OSError as exc:
        print(f"Port sudah dipakai? / port in use? {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
