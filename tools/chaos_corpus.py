"""The hostile corpus during a chaos run: sent while services are being killed, and accounted for after.

Every attack on every topic a service reads (``tests/hostile/``) goes out once, mid-run; at the end every
consumer of each topic must have dead-lettered each hostile record (or, for an unreadable submission that
names its channel message, answered it with a rejection), kills or not. A record a kill made a consumer
refuse twice shows up once in its inbox, so a second copy on the dead-letter topic (the relay's at-least-once
after a kill) is counted as a resend, not as a second refusal.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lapor_shared.testing.kafka_io import consume
from lapor_shared.topics import DEAD_LETTER, SUBMISSION_RESULTS
from tests.hostile.campaign import Campaign, readers, refusals_in, rejected_ids, send_corpus


async def send_after(bootstrap: str, delay_s: float) -> Campaign:
    await asyncio.sleep(delay_s)
    return await send_corpus(bootstrap)


async def account(bootstrap: str, campaign: Campaign, timeout: float = 120.0) -> dict[str, Any]:
    """What came of the corpus: refusals expected, seen, missing; rejections expected and seen."""
    by_topic, _ = readers()
    letters, answered = campaign.expected(by_topic)
    dead = await consume(bootstrap, topics=[DEAD_LETTER.name], timeout=timeout,
                         until=lambda rs: letters <= set(refusals_in(rs)[0]))
    refused, reasons = refusals_in(dead)
    results = await consume(bootstrap, topics=[SUBMISSION_RESULTS.name], timeout=30,
                            until=lambda rs: answered <= rejected_ids(rs))
    missing = sorted(letters - set(refused))
    return {
        "hostile_messages": len(campaign.hostile),
        "refusals_expected": len(letters),
        "refused": len(letters & set(refused)),
        "missing": len(missing),
        "missing_examples": [list(m) for m in missing[:5]],
        "resent_on_topic": sum(n - 1 for where, n in refused.items() if where in letters and n > 1),
        "without_reason": sum(1 for r in reasons if not r.strip()),
        "answered_expected": len(answered),
        "answered": len(answered & rejected_ids(results)),
    }


def failures(corpus: dict[str, Any] | None) -> list[str]:
    if corpus is None:
        return []
    found = []
    if corpus["missing"]:
        found.append(f"{corpus['missing']} hostile records never refused: {corpus['missing_examples']}")
    if corpus["answered"] < corpus["answered_expected"]:
        found.append(f"{corpus['answered_expected'] - corpus['answered']} unreadable submissions never answered")
    if corpus["without_reason"]:
        found.append(f"{corpus['without_reason']} dead letters without a reason")
    return found


def report(corpus: dict[str, Any] | None) -> None:
    if corpus is not None:
        print(f"hostile corpus: {corpus['hostile_messages']} messages, {corpus['refused']} of "
              f"{corpus['refusals_expected']} refusals seen (missing {corpus['missing']}, resent on the topic "
              f"{corpus['resent_on_topic']}), {corpus['answered']} of {corpus['answered_expected']} unreadable "
              "submissions answered")
