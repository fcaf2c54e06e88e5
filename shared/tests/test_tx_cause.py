"""A use case reads the event its transaction was opened for as ``tx.event``: there whenever a consumer
opened the transaction, a clear error where nothing did (a timer round, an HTTP request)."""

from __future__ import annotations

from typing import cast

import pytest

from lapor_shared.db import Conn
from lapor_shared.outbox import Outbox
from lapor_shared.testing import factories as f
from lapor_shared.tx import Tx, with_events


def tx(cause=None) -> Tx:
    return Tx(cast(Conn, None), Outbox(), "followup", cause)


def test_the_event_of_a_transaction_opened_for_one_is_its_cause():
    routed = f.routed_envelope()

    assert tx(routed).event is routed


def test_asking_a_transaction_opened_for_no_event_for_its_event_says_so_instead_of_giving_none():
    with pytest.raises(LookupError, match="followup transaction was opened for no event"):
        _ = tx().event


def test_a_run_is_paired_with_its_events_in_its_order():
    first, second, third = f.routed_envelope(), f.accepted_envelope(), f.routed_envelope()
    run = [tx(first), tx(second), tx(third)]

    assert with_events(run) == [(run[0], first), (run[1], second), (run[2], third)]
    assert with_events([]) == []


def test_a_run_holding_a_transaction_without_an_event_is_refused_not_shortened():
    with pytest.raises(LookupError):
        with_events([tx(f.routed_envelope()), tx()])
