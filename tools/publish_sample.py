"""``make publish-sample``: send realistic sample complaints the way a channel adapter does, and show
what intake answered (a tracking number and the reporter's key, as a channel shows them to its reporter
once, or the reasons for a rejection). Number and key open the gateway's tracking page (``/lacak``).

    uv run python -m tools.publish_sample            # 3 samples to the platform of `make run`
    uv run python -m tools.publish_sample -n 10      # more (the samples repeat with new message ids)

Kafka: LAPOR_KAFKA_BOOTSTRAP_SERVERS or KAFKA_BOOTSTRAP_SERVERS, default 127.0.0.1:19092.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from lapor_shared.events import DecodeError, Envelope, decode, encode, headers_of
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.values import Channel, Location, ReporterContact, ReportType
from lapor_shared.topics import SUBMISSION_RESULTS, SUBMISSIONS

PRODUCER = "sample-adapter"
RESULT_TIMEOUT_S = 30.0


def bootstrap_servers() -> str:
    return os.environ.get("LAPOR_KAFKA_BOOTSTRAP_SERVERS") or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") \
        or "127.0.0.1:19092"


def samples(count: int, run_id: str) -> list[ComplaintSubmitted]:
    now = datetime.now(UTC)
    templates = [
        dict(
            channel=Channel.WEB,
            report_type=ReportType.PENGADUAN.value,
            title="Jalan berlubang di Jl. Teuku Umar, Kedaton",
            description=(
                "Sudah tiga minggu jalan di depan Pasar Kedaton berlubang besar dan tergenang air "
                "saat hujan. Dua pengendara motor terjatuh minggu ini. "
                "Mohon segera diperbaiki oleh dinas terkait."
            ),
            incident_date=(now - timedelta(days=21)).date(),
            location=Location(
                region_code="18.71", text="Jl. Teuku Umar depan Pasar Kedaton, Kota Bandar Lampung",
                latitude=-5.3794, longitude=105.2586,
            ),
            category_hint="infrastruktur",
            reporter=ReporterContact(name="Rina Wulandari", phone="081234567890", email="rina.w@example.id"),
        ),
        dict(
            channel=Channel.MOBILE,
            report_type=ReportType.PENGADUAN.value,
            title="Antrean BPJS di Puskesmas Kalianda sangat lama",
            description=(
                "Pasien peserta BPJS Kesehatan harus menunggu lebih dari lima jam di Puskesmas Kalianda, "
                "padahal nomor antrean sudah diambil sejak pukul 06.00. Petugas pendaftaran hanya satu orang."
            ),
            incident_date=date.today() - timedelta(days=2),
            location=Location(region_code="18.01", text="Puskesmas Kalianda, Kabupaten Lampung Selatan"),
            category_hint="kesehatan",
            reporter=ReporterContact(name="Ahmad Fauzi", phone="+6282112345678"),
            confidential=True,
        ),
        dict(
            channel=Channel.SMS,
            report_type=ReportType.ASPIRASI.value,
            title="Usulan penambahan lampu penerangan jalan",
            description=(
                "Kami warga RT 05 mengusulkan penambahan lampu penerangan jalan umum di gang menuju sekolah, "
                "karena anak-anak pulang les sore hari saat sudah gelap."
            ),
            location=Location(region_code="18.71", text="Kelurahan Way Halim Permai, Kota Bandar Lampung"),
            category_hint="infrastruktur",
            anonymous=True,
        ),
    ]
    return [
        ComplaintSubmitted(
            **templates[i % len(templates)],
            channel_message_id=f"sample-{run_id}-{i + 1}",
            submitted_at=datetime.now(UTC),
        )
        for i in range(count)
    ]


def key_of(s: ComplaintSubmitted) -> str:
    return f"{s.channel}:{s.channel_message_id}"


async def publish(bootstrap: str, submissions: list[ComplaintSubmitted]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=PRODUCER, acks="all")
    await producer.start()
    try:
        for s in submissions:
            envelope = Envelope.new(s, producer=PRODUCER)
            await producer.send_and_wait(
                SUBMISSIONS.name, encode(envelope), key=key_of(s).encode(),
                headers=[(k, v.encode()) for k, v in headers_of(envelope).items()],
            )
            print(f"→ terkirim / sent  {key_of(s):<28} {s.report_type:<10} "
                  f"{s.location.region_code}  {s.title}")
    finally:
        await producer.stop()


async def await_results(bootstrap: str, submissions: list[ComplaintSubmitted], wait_s: float) -> int:
    """Print intake's answer to each sample; return how many got none in time."""
    waiting = {key_of(s) for s in submissions}
    consumer = AIOKafkaConsumer(
        # every partition from the beginning, in no group: nothing is committed, and a group takes seconds to form
        SUBMISSION_RESULTS.name, bootstrap_servers=bootstrap, group_id=None,
        auto_offset_reset="earliest", enable_auto_commit=False,
    )
    await consumer.start()
    deadline = time.monotonic() + wait_s
    try:
        while waiting and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    try:  # accepted answers are keyed by complaint id: match on the payload
                        envelope = decode(record.value or b"")
                    except DecodeError:
                        continue  # not ours to judge; another adapter's problem
                    payload = envelope.payload
                    key = f"{getattr(payload, 'channel', '')}:{getattr(payload, 'channel_message_id', '')}"
                    if key not in waiting:
                        continue
                    waiting.discard(key)
                    if envelope.event_type == "submission.accepted":
                        # what a channel shows its reporter, once: the number and the reporter's key
                        print(f"✓ {key:<28} diterima / accepted   nomor pelacakan / tracking number: "
                              f"{envelope.tracking_number}   kunci pelapor / reporter's key: "
                              f"{envelope.payload.reporter_key}")
                    else:
                        print(f"✗ {key:<28} ditolak / rejected:")
                        for reason in envelope.payload.reasons:
                            print(f"    - [{reason.code}] {reason.message_id} / {reason.message_en}")
    finally:
        await consumer.stop()
    for key in sorted(waiting):
        print(f"✗ {key:<28} tidak ada jawaban dalam {wait_s:.0f} dtk / no answer within {wait_s:.0f} s "
              "(apakah intake berjalan? / is intake running? `make run`)")
    return len(waiting)


async def main_async(count: int, wait_s: float) -> int:
    bootstrap = bootstrap_servers()
    run_id = datetime.now(UTC).strftime("%H%M%S") + uuid4().hex[:4]
    submissions = samples(count, run_id)
    print(f"Mengirim {count} laporan contoh ke {SUBMISSIONS.name} di {bootstrap} / publishing samples\n")
    await publish(bootstrap, submissions)
    print(f"\nMenunggu jawaban intake di {SUBMISSION_RESULTS.name} / waiting for intake's answers\n")
    missing = await await_results(bootstrap, submissions, wait_s)
    return 1 if missing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Kirim laporan contoh / publish sample complaints.")
    parser.add_argument("-n", "--count", type=int, default=3, help="how many samples (default 3)")
    parser.add_argument("--timeout", type=float, default=RESULT_TIMEOUT_S, help="seconds to wait for answers")
    args = parser.parse_args()
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True, errors="backslashreplace")
    try:
        return asyncio.run(main_async(max(1, args.count), args.timeout))
    except KafkaConnectionError as exc:
        print(f"✗ Kafka di {bootstrap_servers()} tidak bisa dihubungi / Kafka unreachable ({exc}). "
              "Sudah `make run`? / is the platform running?", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
