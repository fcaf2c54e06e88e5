"""Notify's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from lapor_notify.plan import HANDLED
from lapor_notify.service import Notifier
from lapor_shared.consumer import Batch
from lapor_shared.events.intake import ReporterContactErased, ReporterContactShared
from lapor_shared.events.notifications import NotificationFailed, NotificationSent
from lapor_shared.runtime import Runtime
from lapor_shared.topics import COMPLAINTS, CONTACTS


def register_handlers(runtime: Runtime, notifier: Notifier) -> None:
    runtime.publishes(NotificationSent, NotificationFailed)
    batch = Batch(notifier.lifecycle_batch)  # a run of lifecycle events in four statements
    lifecycle = runtime.consumer("notify.complaints", dict.fromkeys(HANDLED, batch))
    contacts = runtime.consumer("notify.contacts", {
        ReporterContactShared: Batch(notifier.contacts_batch),
        ReporterContactErased: notifier.erase_contact,
    })

    runtime.subscribe(lifecycle, COMPLAINTS.name, group_id="lapor-notify")
    runtime.subscribe(contacts, CONTACTS.name, group_id="lapor-notify-contacts")
