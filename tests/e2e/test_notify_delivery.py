"""From a submission to e-mails in a real mailbox: the reporter hears on their address, the agency on its
own, and the agency's message says nothing of who the reporter is."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request

import pytest

from lapor_shared.testing.kafka_io import publish, wait_for
from lapor_shared.testing.platform import Platform
from lapor_shared.testing.sinks import SmtpSink
from lapor_shared.topics import SUBMISSIONS
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


async def test_reporter_and_agency_emails_arrive_in_a_mailbox_started_by_the_test(
    infra, kafka_bootstrap, database_url, tmp_path
):
    sink = await SmtpSink().start()
    platform = Platform(kafka_bootstrap, database_url, tmp_path / "logs", extra_env={
        "LAPOR_SMTP__PORT": str(sink.port),
        "LAPOR_SMS__PROVIDER": "disabled",
        "LAPOR_WEBHOOKS__PROVIDER": "disabled",
        "LAPOR_SENDING__POLL_INTERVAL_S": "0.2",
    }, quick_groups=True)
    try:
        await asyncio.to_thread(platform.start)
        complaint = submission(anonymous=True)  # anonim: the agency must not learn who reported
        reporter = complaint.payload.reporter
        await publish(kafka_bootstrap, SUBMISSIONS.name, [complaint])

        def mail_to(address: str | None, template: str) -> list:
            return [m for m, (_, rcpt) in zip(sink.messages, sink.envelopes, strict=True)
                    if (address is None or address in rcpt) and template in m.get_content()]

        # the acceptance (with the reporter's key) and the routing may reach the mailbox in either order
        reporter_mail = await wait_for(lambda: mail_to(reporter.email, "Kunci pelapor Anda"), timeout=60)
        assert reporter_mail, f"no e-mail for the reporter; notify log:\n{platform.services['notify'].tail()}"
        subject = reporter_mail[0]["Subject"]
        tracking_number = re.search(r"LPR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]{5}", subject).group(0)

        def agency_mail() -> list:
            return [m for m, (_, rcpt) in zip(sink.messages, sink.envelopes, strict=True)
                    if reporter.email not in rcpt and tracking_number in m["Subject"]]

        officer = await wait_for(agency_mail, timeout=60)
        assert officer, f"no e-mail for the agency; notify log:\n{platform.services['notify'].tail()}"
        text = officer[0].get_content()
        assert tracking_number in text
        assert "anonim" in text
        for identity in (reporter.name, reporter.email, reporter.phone):
            assert identity not in text and identity not in str(officer[0]["To"])
        # both languages, Bahasa Indonesia first
        reporter_text = reporter_mail[0].get_content()
        assert reporter_text.index("Nomor pelacakan") < reporter_text.index("Tracking number")
        # the first message holds the reporter's key and a link that opens the gateway's tracking page
        key = re.search(r"Kunci pelapor Anda: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})", reporter_text)
        assert key, reporter_text
        assert f"/lacak?nomor={tracking_number}&kunci={key.group(1)}" in reporter_text

        # the status page's inbox shows the same story, without any contact detail
        port = platform.services["notify"].port
        inbox = await asyncio.to_thread(_get_json, f"http://127.0.0.1:{port}/api/v1/inbox/{tracking_number}")
        assert {m["template"] for m in inbox["messages"]} >= {"complaint_accepted.reporter"}
        assert reporter.email not in json.dumps(inbox) and reporter.phone not in json.dumps(inbox)
        assert key.group(1) not in json.dumps(inbox)
    finally:
        await asyncio.to_thread(platform.stop)
        await sink.stop()


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())
