"""The gateway against a real Kafka-protocol broker and a real PostgreSQL: the gateway's and intake's ASGI
apps with their lifespans (broker, consumers, relay) in this process, talking through the broker only,
and the call-centre import as its own client."""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest

from lapor_gateway.app import build
from lapor_gateway.call_centre.cli import main as import_main
from lapor_gateway.settings import AdapterSettings, GatewaySettings
from lapor_intake.app import build as build_intake
from lapor_intake.settings import IntakeSettings
from lapor_shared.testing.kafka_io import wait_for
from lapor_shared.testing.platform import QUICK_GROUP_SETTINGS

from .conftest import SMS_SECRET, unique_phone

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]


@asynccontextmanager
async def gateway_and_intake_on(bootstrap: str, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Both services in this process, each with its own broker connection; HTTP goes to the gateway."""
    intake = build_intake(IntakeSettings(database_url=database_url, kafka_bootstrap_servers=bootstrap,
                                         **QUICK_GROUP_SETTINGS))
    gateway = build(GatewaySettings(
        database_url=database_url, kafka_bootstrap_servers=bootstrap, **QUICK_GROUP_SETTINGS,
        adapters=AdapterSettings(sms_webhook_secret=SMS_SECRET, wait_s=10),
    ))
    async with intake.runtime.running(), gateway.runtime.running():  # what each app's lifespan runs
        async with (httpx.AsyncClient(transport=httpx.ASGITransport(app=intake.asgi_app()),
                                      base_url="http://intake.test") as intake_http,
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.asgi_app()),
                                      base_url="http://gateway.test") as http):
            await wait_for(lambda: _ready(intake_http), timeout=30)
            await wait_for(lambda: _ready(http), timeout=30)
            yield http


async def _ready(http: httpx.AsyncClient) -> bool:
    return (await http.get("/readyz")).status_code == 200


async def test_the_sms_webhook_and_the_web_form_file_complaints_through_the_real_broker(
    kafka_bootstrap, database_url
):
    async with gateway_and_intake_on(kafka_bootstrap, database_url) as http:
        sms = await http.post("/sms/inbound", headers={"X-Lapor-Sms-Secret": SMS_SECRET}, data={
            "from": unique_phone(), "message_id": "gw-1",
            "text": "#18.71 Lampu jalan di Jl. Kartini mati sudah tiga malam, mohon diperbaiki.",
        })

        async def sms_reply() -> list:
            messages = (await http.get("/sms/outbox", headers={"X-Lapor-Sms-Secret": SMS_SECRET})).json()["messages"]
            return [m for m in messages if "Nomor pelacakan: LPR-" in m["body"]]

        replies = await wait_for(sms_reply, timeout=60)
        assert sms.status_code == 200
        assert replies and replies[0]["in_reply_to"] == "gw-1"

        form = await http.get("/lapor")
        message_id = re.search(r'name="channel_message_id" value="([^"]+)"', form.text).group(1)
        posted = await http.post("/lapor", data={
            "channel_message_id": message_id, "title": "Sampah menumpuk di pasar", "region_code": "18.71",
            "description": "Sampah di Pasar Tugu tidak diangkut selama seminggu dan mulai berbau.",
            "phone": unique_phone(),
        })
        page = await http.get(posted.headers["location"])

        async def accepted_page() -> str | None:
            text = (await http.get(posted.headers["location"])).text
            return text if "Laporan Anda diterima" in text else None

        assert posted.status_code == 303 and page.status_code == 200
        assert re.search(r"LPR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]{5}", await wait_for(accepted_page, timeout=30))


async def test_the_call_centre_import_runs_twice_against_the_real_broker_without_duplicates(
    kafka_bootstrap, database_url, tmp_path
):
    path = tmp_path / "lampung.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id_baris", "judul", "isi_laporan", "kode_wilayah", "telepon"])
        writer.writerow(["A1", "Jalan rusak", "Jalan utama di Rajabasa rusak parah sejak Januari.", "18.71",
                         unique_phone()])
        writer.writerow(["A2", "Puskesmas tutup", "Puskesmas tutup pada jam pelayanan tanpa pemberitahuan.",
                         "18.71", unique_phone()])
    args = [str(path), "--bootstrap", kafka_bootstrap, "--source", "lampung", "--timeout", "60"]
    async with gateway_and_intake_on(kafka_bootstrap, database_url):
        first = await asyncio.to_thread(import_main, args)
        first_results = (tmp_path / "lampung.hasil.csv").read_text(encoding="utf-8")
        second = await asyncio.to_thread(import_main, args)
        second_results = (tmp_path / "lampung.hasil.csv").read_text(encoding="utf-8")

    conn = await asyncpg.connect(database_url)
    try:
        filed = await conn.fetchval("SELECT count(*) FROM intake.complaints WHERE channel = 'call_centre'")
    finally:
        await conn.close()
    assert first == second == 0
    assert filed == 2
    assert first_results == second_results
    assert first_results.count("diterima") == 2
