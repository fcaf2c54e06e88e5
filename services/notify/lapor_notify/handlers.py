"""Notify's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from lapor_notify.plan import HANDLED
from lapor_notify.service import Notifier
from lapor_shared.events.intake import ReporterContactErased, ReporterContactShared
from lapor_shared.events.notifications import NotificationFailed, NotificationSent
from lapor_shared.runtime import Runtime
from lapor_shared.topics import COMPLAINTS, CONTACTS


def register_handlers(runtime: Runtime, notifier: Notifier) -> None:
    runtime.publishes(NotificationSent, NotificationFailed)
    lifecycle = runtime.consumer("notify.complaints", {event: notifier.on_lifecycle for event in HANDLED})
    contacts = runtime.consumer("notify.contacts", {
        ReporterContactShared: notifier.store_contact,
        ReporterContactErased: notifier.erase_contact,
    })

    runtime.subscribe(lifecycle, COMPLAINTS.name, group_id="lapor-notify")
    runtime.subscribe(contacts, CONTACTS.name, group_id="lapor-notify-contacts")
