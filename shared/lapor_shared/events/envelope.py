"""The frozen event envelope shared by every event and command on every topic.

Events are past tense (``complaint.routed``), commands imperative (``agency.respond``); both travel
in the same envelope so that any consumer, in any language, reads ids, type, version and jurisdiction
the same way (also from the Kafka headers, without parsing the body).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, Self, TypeVar, cast
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator


class Payload(BaseModel):
    """Base of every typed payload. Subclasses set ``event_type`` and ``schema_version``.

    Unknown fields are ignored so that an older consumer reads a newer, compatible payload; a breaking
    change is a new class with a higher ``schema_version``, never an edit in place.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    kind: ClassVar[Literal["event", "command"]] = "event"


P = TypeVar("P", bound=Payload)


class Envelope(BaseModel, Generic[P]):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(default_factory=uuid4, description="Unique id of this event; consumers dedupe on it")
    event_type: str = Field(description="Dotted name, e.g. complaint.routed")
    schema_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    complaint_id: UUID | None = None
    tracking_number: str | None = None
    jurisdiction_code: str | None = Field(
        default=None, description="Kemendagri code of the responsible jurisdiction (ID = national)"
    )
    agency_id: str | None = Field(
        default=None, max_length=100,
        description="The agency responsible for the complaint now (none while it waits for triage): the event"
        " also goes to that agency's own stream when it is onboarded",
    )
    confidential: bool | None = Field(
        default=None,
        description="Whether the complaint is rahasia: the shared jurisdiction topics show its events without"
        " their content. Not stated (null) counts as rahasia there",
    )
    correlation_id: UUID = Field(description="Same for every event of one complaint's story")
    causation_id: UUID | None = Field(default=None, description="event_id of the event that caused this one")
    producer: str = Field(description="Service or adapter that produced the event")
    payload: P

    @field_validator("jurisdiction_code")
    @classmethod
    def _known_jurisdiction(cls, code: str | None) -> str | None:
        """Topics are named after the code: an unknown one would route an event nowhere (or anywhere)."""
        from lapor_shared.regions import is_known

        if code is not None and not is_known(code):
            raise ValueError(f"{code[:20]!r} is not ID or a Kemendagri province or regency code")
        return code

    @model_validator(mode="after")
    def _type_matches_payload(self) -> Self:
        payload_class = type(self.payload)
        declared = (getattr(payload_class, "event_type", None), getattr(payload_class, "schema_version", None))
        if declared != (self.event_type, self.schema_version):
            raise ValueError(
                f"envelope says {self.event_type} v{self.schema_version} but carries {declared[0]} v{declared[1]}"
            )
        return self

    @classmethod
    def new(
        cls,
        payload: P,
        *,
        producer: str,
        caused_by: Envelope[Any] | None = None,
        complaint_id: UUID | None = None,
        tracking_number: str | None = None,
        jurisdiction_code: str | None = None,
        agency_id: str | None = None,
        confidential: bool | None = None,
        occurred_at: datetime | None = None,
        event_id: UUID | None = None,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
    ) -> Envelope[P]:
        """A new envelope for ``payload``; ids the caller leaves out are inherited from ``caused_by`` (the
        correlation and causation ids too: given, they win over ``caused_by``'s).

        ``agency_id`` and ``confidential`` are never inherited: a command (which any sender writes) must
        not choose whose stream an event goes to, nor whether its content is shown; the service that
        knows the complaint says both."""
        cause_fields: dict[str, Any] = {}
        if caused_by is not None:
            cause_fields = {
                "complaint_id": caused_by.complaint_id,
                "tracking_number": caused_by.tracking_number,
                "jurisdiction_code": caused_by.jurisdiction_code,
            }
        new_id = event_id or uuid4()
        return envelope_type(type(payload))(
            event_id=new_id,
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            occurred_at=occurred_at or datetime.now(UTC),
            complaint_id=complaint_id if complaint_id is not None else cause_fields.get("complaint_id"),
            tracking_number=tracking_number or cause_fields.get("tracking_number"),
            jurisdiction_code=jurisdiction_code or cause_fields.get("jurisdiction_code"),
            agency_id=agency_id,
            confidential=confidential,
            correlation_id=correlation_id or (caused_by.correlation_id if caused_by is not None else new_id),
            causation_id=causation_id or (caused_by.event_id if caused_by is not None else None),
            producer=producer,
            payload=payload,
        )

    def evolve(self, **changes: Any) -> Self:
        """A validated copy with some envelope fields changed."""
        return type(self).model_validate({**dict(self), **changes})


def envelope_type(payload_type: type[P]) -> type[Envelope[P]]:
    """``Envelope[payload_type]`` for a payload class known only at run time (pydantic makes each once).

    Spelled with ``__class_getitem__`` because a type checker takes only a static type between brackets."""
    return cast("type[Envelope[P]]", Envelope.__class_getitem__(payload_type))
