"""The event contract: one frozen envelope, typed versioned payloads, and their catalogue."""

from lapor_shared.events.codec import DecodeError, decode, encode, headers_of
from lapor_shared.events.envelope import Envelope, Payload
from lapor_shared.events.registry import CATALOGUE, payload_type

__all__ = [
    "CATALOGUE",
    "DecodeError",
    "Envelope",
    "Payload",
    "decode",
    "encode",
    "headers_of",
    "payload_type",
]
