"""The gateway reads and writes its own schema only: it runs as a database role that cannot even see
intake's, and none of its SQL names another service's schema or intake's tables."""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from .conftest import SMS_SECRET, complaint_body, unique_phone

PACKAGE = Path(__file__).resolve().parents[1] / "lapor_gateway"
OTHER_SCHEMAS = ("intake", "routing", "followup", "notify", "dashboard")
INTAKE_TABLES = ("complaints", "rejections", "reporters", "reporter_activity", "erasures")
_SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE TABLE|LOCK TABLE)\b")
"""Statements as the gateway writes them (upper case), so that prose in docstrings is not taken for SQL."""


def sql_texts() -> list[tuple[str, str]]:
    """Every SQL text of the gateway: its migrations, and every string literal of its code that reads as SQL."""
    found = [(path.name, path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.sql"))]
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):  # f"SELECT {columns} FROM …": its literal parts
                text = "{}".join(v.value for v in node.values if isinstance(v, ast.Constant))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if _SQL.search(text):
                found.append((path.name, text))
    return found


@pytest.mark.unit
def test_no_sql_of_the_gateway_names_another_services_schema_or_intakes_tables():
    texts = sql_texts()
    schema = re.compile(rf'\b"?({"|".join(OTHER_SCHEMAS)})"?\.\w')
    table = re.compile(rf"\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+({'|'.join(INTAKE_TABLES)})\b", re.IGNORECASE)

    assert len(texts) >= 20, "the search finds the gateway's SQL"
    assert any("INSERT INTO answers" in text for _, text in texts)
    offending = [(where, text[:120]) for where, text in texts if schema.search(text) or table.search(text)]
    assert not offending


def as_role(url: str, role: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))


@pytest.fixture
async def gateway_role_url(database_url: str) -> AsyncIterator[str]:
    """A login role that may create its own schema in this database and nothing else: no right at all on
    intake's schema (intake, running in the same database as the administrator, creates it)."""
    role, password = f"gateway_only_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin = await asyncpg.connect(database_url)
    database = await admin.fetchval("SELECT current_database()")
    await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    await admin.execute(f'GRANT CREATE ON DATABASE "{database}" TO {role}')
    try:
        yield as_role(database_url, role, password)
    finally:
        await admin.execute(f"DROP OWNED BY {role} CASCADE")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


@pytest.mark.integration
@pytest.mark.timeout(90)
async def test_the_gateway_does_its_whole_job_as_a_role_that_cannot_read_intakes_schema(adapters, gateway_role_url):
    async with adapters(url=gateway_role_url) as a:
        accepted = await a.http.post("/api/v1/complaints", json=complaint_body())
        number = accepted.json().get("tracking_number")
        status = await a.http.get(f"/api/v1/complaints/{number}")
        page = await a.http.get(f"/lapor/status?nomor={number}")
        listed = await a.http.get("/open311/v2/requests.json")
        sms = await a.http.post("/sms/inbound", headers={"X-Lapor-Sms-Secret": SMS_SECRET}, data={
            "from": unique_phone(), "message_id": f"gw-{uuid.uuid4()}",
            "text": "#18.71 Lampu jalan di Jl. Kartini mati sudah tiga malam, mohon diperbaiki."})
        replies = await a.http.get("/sms/outbox", headers={"X-Lapor-Sms-Secret": SMS_SECRET})
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await a.runtime.pool.fetchval("SELECT count(*) FROM intake.complaints")

    assert accepted.status_code == 201, accepted.text
    assert status.status_code == 200 and status.json()["tracking_number"] == number
    assert page.status_code == 200 and number in page.text
    assert listed.status_code == 200
    assert sms.status_code == 200 and sms.json()["status"] == "accepted"
    assert len(replies.json()["messages"]) == 1
