"""Delivery channels behind one interface: ``await channel.send(message)`` or a Transient/Permanent error."""

from lapor_notify.channels.base import Channel, OutboundMessage, PermanentError, TransientError

__all__ = ["Channel", "OutboundMessage", "PermanentError", "TransientError"]
