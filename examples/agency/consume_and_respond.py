"""An agency's consumer, in plain Python with aiokafka: read the complaints routed to us from our own
stream (lapor.jurisdiction.<path>.agency.<our id>), acknowledge each one, then answer it (agency.respond)
or, when it is not our authority, forward it (agency.forward, pelimpahan), on our own command topic
(lapor.commands.agency.<our id>: only our Kafka user may write it, and a command naming another agency
is refused). Nothing here imports the platform's code: the messages are plain JSON envelopes, as any
agency system would read and write them.

    pip install aiokafka            # or, inside this repository: uv run python examples/agency/...
    python consume_and_respond.py --agency dinkes.18.71 --jurisdiction 18.71
    python consume_and_respond.py --agency umum.18.71 --jurisdiction 18.71 --forward-to pu.18.71

    # against the platform's cluster: TLS and SCRAM-SHA-512 as the agency's own Kafka user
    KAFKA_PASSWORD=… python consume_and_respond.py --agency dinkes.18.71 --jurisdiction 18.71 \
        --bootstrap kafka.lapor.example.go.id:9095 --security-protocol SASL_SSL --ca-file ca.crt

Kafka: --bootstrap, else LAPOR_KAFKA_BOOTSTRAP_SERVERS / KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:19092
(the broker of ``make run``, no authentication). On the platform's cluster the platform team gives you the
bootstrap address, the cluster CA (``ca.crt``) and the password of your Kafka user ``agency-<agency id>``
(lower case, ``_`` as ``-``); your consumer groups are ``agency-<agency id>`` or ``agency-<agency id>:<name>``.
See docs/jurisdictions.md for the topics, the envelope and the commands.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import ssl
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


def kafka_user(agency_id: str) -> str:
    """The agency's Kafka (SCRAM) user name: ``bpjs_kesehatan.ID`` → ``agency-bpjs-kesehatan.id``."""
    return "agency-" + agency_id.lower().replace("_", "-")


def default_group(agency_id: str) -> str:
    """The agency's own consumer group, the one its Kafka user may join (as the id is, not lower-cased)."""
    return f"agency-{agency_id}"


def kafka_options(args: argparse.Namespace) -> dict[str, Any]:
    """Connection settings for aiokafka: plaintext against ``make run``, else TLS (verifying the brokers
    against the cluster CA) and SCRAM-SHA-512 with the password from ``KAFKA_PASSWORD``."""
    options: dict[str, Any] = {"bootstrap_servers": args.bootstrap, "security_protocol": args.security_protocol}
    if args.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=args.ca_file)
    if args.security_protocol.startswith("SASL_"):
        options.update(sasl_mechanism="SCRAM-SHA-512", sasl_plain_username=args.username or kafka_user(args.agency),
                       sasl_plain_password=os.environ["KAFKA_PASSWORD"])
    return options


def jurisdiction_topic(code: str) -> str:
    """``18.71`` → ``lapor.jurisdiction.ID.18.71``; ``ID`` → ``lapor.jurisdiction.ID``: the shared topic of a
    jurisdiction (every complaint there, a rahasia one without its content)."""
    return "lapor.jurisdiction.ID" if code == "ID" else f"lapor.jurisdiction.ID.{code}"


def own_stream(code: str, agency_id: str) -> str:
    """Our complaints, whole: ``lapor.jurisdiction.ID.18.71.agency.dinkes.18.71``."""
    return f"{jurisdiction_topic(code)}.agency.{agency_id}"


def command_topic(agency_id: str) -> str:
    """Where we, and only we, write commands: ``lapor.commands.agency.dinkes.18.71``."""
    return f"lapor.commands.agency.{agency_id}"


def command(event_type: str, payload: dict[str, Any], *, about: dict[str, Any], agency_id: str) -> dict[str, Any]:
    """A command in the common envelope, continuing the story of the event ``about``."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "complaint_id": about["complaint_id"],
        "tracking_number": about["tracking_number"],
        "jurisdiction_code": about["jurisdiction_code"],
        "correlation_id": about["correlation_id"],  # the same for the whole life of the complaint
        "causation_id": about["event_id"],
        "producer": f"agency:{agency_id}",
        "payload": payload,
    }


async def send(producer: AIOKafkaProducer, envelope: dict[str, Any]) -> None:
    headers = {
        "content-type": "application/json",
        "event_id": envelope["event_id"],
        "event_type": envelope["event_type"],
        "schema_version": str(envelope["schema_version"]),
        "correlation_id": envelope["correlation_id"],
        "causation_id": envelope["causation_id"],
        "producer": envelope["producer"],
        "complaint_id": envelope["complaint_id"],
        "tracking_number": envelope["tracking_number"],
        "jurisdiction_code": envelope["jurisdiction_code"],
    }
    await producer.send_and_wait(
        command_topic(envelope["payload"]["agency_id"]), json.dumps(envelope).encode(),
        key=envelope["complaint_id"].encode(),  # key: complaint id
        headers=[(k, v.encode()) for k, v in headers.items()],
    )


async def handle(event: dict[str, Any], producer: AIOKafkaProducer, args: argparse.Namespace) -> bool:
    """React to one event from our topic; True when it was a complaint routed to us."""
    kind, payload = event["event_type"], event["payload"]
    if kind == "complaint.action_rejected":
        print(f"{event['tracking_number']}: {payload['command_type']} ditolak / rejected: "
              f"{payload['reason']['message_id']}")
        return False
    if kind != "complaint.routed" or payload["agency"]["agency_id"] != args.agency:
        return False  # a later lifecycle event, or the complaint moved on to another agency
    # rahasia: the content is for us and the levels above us only; never publish it anywhere public
    print(f"{event['tracking_number']}: {payload['title']!r} ({payload['category']}), "
          f"{'rahasia' if payload['confidential'] else 'terbuka'}, "
          f"{'anonim' if payload['anonymous'] else 'pelapor diketahui platform'}, "
          f"alasan: {payload['reason']['code']}")
    await send(producer, command("agency.acknowledge", {"agency_id": args.agency, "officer_ref": args.officer},
                                 about=event, agency_id=args.agency))
    if args.forward_to:
        answer = command("agency.forward", {
            "agency_id": args.agency, "to_agency_id": args.forward_to,
            "reason": "Bukan wewenang kami; dilimpahkan kepada instansi yang berwenang.",
        }, about=event, agency_id=args.agency)
    else:
        answer = command("agency.respond", {
            "agency_id": args.agency, "officer_ref": args.officer,
            "text": "Terima kasih. Laporan Anda sedang kami tindak lanjuti bersama petugas di lapangan.",
        }, about=event, agency_id=args.agency)
    await send(producer, answer)
    print(f"{event['tracking_number']}: {answer['event_type']} dikirim / sent")
    return True


async def run(args: argparse.Namespace) -> int:
    consumer = AIOKafkaConsumer(
        own_stream(args.jurisdiction, args.agency), group_id=args.group or default_group(args.agency),
        auto_offset_reset="earliest", enable_auto_commit=False, session_timeout_ms=args.session_timeout_ms,
        heartbeat_interval_ms=args.session_timeout_ms // 3, **kafka_options(args),
    )
    producer = AIOKafkaProducer(acks="all", **kafka_options(args))
    await consumer.start()
    await producer.start()
    handled = 0
    try:
        async for record in consumer:
            event = json.loads(record.value)
            if await handle(event, producer, args):
                handled += 1
            await consumer.commit()  # after our commands were acknowledged by the broker: at-least-once
            if args.max_messages and handled >= args.max_messages:
                break
    finally:
        await consumer.stop()
        await producer.stop()
    return handled


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agency", required=True, help="our agency id, e.g. dinkes.18.71")
    parser.add_argument("--jurisdiction", required=True, help="our jurisdiction code, e.g. 18.71 (ID = national)")
    parser.add_argument("--bootstrap", default=os.environ.get("LAPOR_KAFKA_BOOTSTRAP_SERVERS")
                        or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:19092")
    parser.add_argument("--security-protocol", default=os.environ.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
                        choices=["PLAINTEXT", "SASL_SSL"], help="SASL_SSL on the platform's cluster")
    parser.add_argument("--ca-file", default=os.environ.get("KAFKA_CA_FILE"), help="the cluster CA (ca.crt)")
    parser.add_argument("--username", help="Kafka user (default agency-<agency id>); password: KAFKA_PASSWORD")
    parser.add_argument("--group", help="consumer group (default agency-<agency id>)")
    parser.add_argument("--officer", default="petugas-1", help="opaque officer reference (never a name)")
    parser.add_argument("--forward-to", help="forward every complaint to this agency id instead of responding")
    parser.add_argument("--max-messages", type=int, default=0, help="stop after this many complaints (0: never)")
    parser.add_argument("--session-timeout-ms", type=int, default=10_000,
                        help="how long the group waits for a silent member before it moves our partitions")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = arguments().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
