"""The agency registry: who can answer, where, and for what.

An ``Agency`` has an id, a name, a jurisdiction (Kemendagri code, ``ID`` for national bodies), a level,
the categories it handles (``umum`` marks a government's general complaints office), a parent, its
channels and an active flag. The database table ``agencies`` is the source of truth; a ``Directory``
is an immutable in-memory snapshot of it for routing decisions, and ``RegistryCache`` keeps the
current snapshot, reloading it whenever the registry's revision in the database changed.

``check_upsert`` / ``check_deactivate`` validate the run-time registry commands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import asyncpg

from lapor_routing import categories, jurisdictions, repository
from lapor_shared.db import Conn
from lapor_shared.events.commands import DeactivateAgency, UpsertAgency
from lapor_shared.events.values import AgencyLevel, AgencyRef, Reason, reason
from lapor_shared.logging import get_logger

log = get_logger(component="routing.registry")

AGENCY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,99}")
CHANNEL = re.compile(r"(kafka|email|web|sms|telepon|whatsapp):\S{1,200}")
CHANNEL_SCHEMES = "kafka, email, web, sms, telepon, whatsapp"


@dataclass(frozen=True, slots=True)
class Agency:
    agency_id: str
    name: str
    level: AgencyLevel
    jurisdiction_code: str
    categories: tuple[str, ...] = ()
    parent_id: str | None = None
    channels: tuple[str, ...] = ()
    active: bool = True

    def ref(self) -> AgencyRef:
        return AgencyRef(
            agency_id=self.agency_id, name=self.name, level=self.level, jurisdiction_code=self.jurisdiction_code
        )

    def handles(self, category: str) -> bool:
        return category in self.categories

    def evolve(self, **changes: Any) -> Agency:
        return replace(self, **changes)

    @classmethod
    def from_command(cls, command: UpsertAgency) -> Agency:
        return cls(
            agency_id=command.agency_id, name=command.name.strip(), level=command.level,
            jurisdiction_code=command.jurisdiction_code, categories=tuple(dict.fromkeys(command.categories)),
            parent_id=command.parent_id, channels=tuple(dict.fromkeys(command.channels)), active=command.active,
        )


class Directory:
    """An immutable snapshot of the registry, indexed for routing."""

    def __init__(self, agencies: Iterable[Agency], revision: tuple[int, UUID | None] = (0, None)) -> None:
        self.version, self.revision = revision
        self._by_id = {a.agency_id: a for a in agencies}
        handling: dict[tuple[str, str], list[Agency]] = {}
        for agency in self._by_id.values():
            if agency.active:
                for category in agency.categories:
                    handling.setdefault((agency.jurisdiction_code, category), []).append(agency)
        # several active agencies for one category at one place: the most specialised, then by id
        self._handling = {
            key: sorted(found, key=lambda a: (len(a.categories), a.agency_id))[0] for key, found in handling.items()
        }

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Agency]:
        return iter(self._by_id.values())

    def get(self, agency_id: str | None) -> Agency | None:
        return self._by_id.get(agency_id) if agency_id else None

    def handling(self, jurisdiction_code: str, category: str) -> Agency | None:
        """The active agency at exactly ``jurisdiction_code`` that handles ``category``."""
        return self._handling.get((jurisdiction_code, category))

    def general_office(self, jurisdiction_code: str) -> Agency | None:
        """The active general complaints office of the government at ``jurisdiction_code``."""
        return self.handling(jurisdiction_code, categories.GENERAL)

    def with_agencies(self, *agencies: Agency) -> Directory:
        """A new snapshot with ``agencies`` added or replaced (for tests and previews)."""
        return Directory([*self._by_id.values(), *agencies], (self.version, self.revision))


class RegistryCache:
    """The current ``Directory``; the database is the source of truth.

    Reloaded at start, after each registry command commits, and whenever a use case finds another
    registry revision in the database than the snapshot's (a change made by another replica). The
    revision is read once per consumer transaction (``within``: every decision of a batch is taken
    at its start), not once per complaint: a round trip per decision was a twelfth of routing's time.
    """

    def __init__(self) -> None:
        self._directory = Directory([], (-1, None))
        self._checked_within: object | None = None

    @property
    def directory(self) -> Directory:
        return self._directory

    async def reload(self, conn: Conn | asyncpg.Pool) -> Directory:
        revision, rows = await repository.load_agencies(conn)
        directory = Directory((_agency_of(row) for row in rows), revision)
        self._directory = directory
        log.info("registry_loaded", agencies=len(directory), version=directory.version)
        return directory

    async def current(self, conn: Conn, *, within: object | None = None) -> Directory:
        """The snapshot, reloaded first if the database's registry revision is another one; checked once
        for all the use cases of one transaction (``within``: ``Tx.pending``, the same object for each)."""
        directory = self._directory
        if within is not None and within is self._checked_within:
            return directory
        self._checked_within = within
        if await repository.registry_revision(conn) != (directory.version, directory.revision):
            return await self.reload(conn)
        return directory


def _agency_of(row: asyncpg.Record) -> Agency:
    return Agency(
        agency_id=row["agency_id"], name=row["name"], level=AgencyLevel(row["level"]),
        jurisdiction_code=row["jurisdiction_code"], categories=tuple(row["categories"]), parent_id=row["parent_id"],
        channels=tuple(row["channels"]), active=row["active"],
    )


# --- validation of registry commands ----------------------------------------------------------------


_LEVEL_ID = {AgencyLevel.NATIONAL: "nasional", AgencyLevel.PROVINCE: "provinsi", AgencyLevel.REGENCY: "kabupaten/kota"}


def check_upsert(command: UpsertAgency, directory: Directory) -> list[Reason]:
    """Every reason the command cannot be applied (empty when it can)."""
    problems: list[Reason] = []
    agency_id = command.agency_id
    if not AGENCY_ID.fullmatch(agency_id):
        problems.append(reason(
            "invalid_agency_id", field="agency_id",
            message_id="ID instansi harus 2–100 karakter: huruf, angka, titik, garis bawah atau tanda hubung.",
            message_en="agency_id must be 2–100 characters: letters, digits, dots, underscores or hyphens.",
        ))
    if not command.name.strip() or len(command.name) > 200:
        problems.append(reason(
            "invalid_name", field="name", message_id="Nama instansi wajib diisi (paling banyak 200 karakter).",
            message_en="name is required (at most 200 characters).",
        ))
    code = command.jurisdiction_code
    if not jurisdictions.is_known(code):
        problems.append(reason(
            "unknown_jurisdiction", field="jurisdiction_code",
            message_id=f"Kode wilayah {code!r} tidak dikenal (gunakan ID atau kode Kemendagri, mis. 18.71).",
            message_en=f"Jurisdiction code {code!r} is unknown (use ID or a Kemendagri code such as 18.71).",
        ))
    elif jurisdictions.level_of(code) is not command.level:
        expected = jurisdictions.level_of(code)
        assert expected is not None
        problems.append(reason(
            "level_mismatch", field="level",
            message_id=f"Tingkat {command.level.value} tidak cocok dengan wilayah {code} "
                       f"(tingkat {_LEVEL_ID[expected]}).",
            message_en=f"Level {command.level.value} does not match jurisdiction {code} (level {expected.value}).",
        ))
    unknown = [c for c in command.categories if c not in categories.by_code()]
    if unknown:
        problems.append(reason(
            "unknown_category", field="categories",
            message_id=f"Kategori tidak dikenal: {', '.join(unknown)} (lihat docs/jurisdictions.md).",
            message_en=f"Unknown categories: {', '.join(unknown)} (see docs/jurisdictions.md).",
        ))
    bad_channels = [c for c in command.channels if not CHANNEL.fullmatch(c)]
    if bad_channels:
        problems.append(reason(
            "invalid_channel", field="channels",
            message_id=f"Kanal harus berbentuk skema:alamat dengan skema {CHANNEL_SCHEMES}.",
            message_en=f"Channels must look like scheme:address with a scheme among {CHANNEL_SCHEMES}.",
        ))
    existing = directory.get(agency_id)
    if existing is not None and (existing.jurisdiction_code, existing.level) != (code, command.level):
        problems.append(reason(
            "jurisdiction_immutable", field="jurisdiction_code",
            message_id=f"Wilayah dan tingkat instansi {agency_id} tidak dapat diubah; daftarkan instansi baru.",
            message_en=f"The jurisdiction and level of agency {agency_id} cannot change; register a new agency.",
        ))
    problems += _parent_problems(command, directory)
    return problems


def _parent_problems(command: UpsertAgency, directory: Directory) -> list[Reason]:
    parent_id = command.parent_id
    if parent_id is None:
        return []
    parent = directory.get(parent_id)
    if parent is None or parent_id == command.agency_id:
        return [reason(
            "unknown_parent", field="parent_id", message_id=f"Instansi induk {parent_id!r} tidak terdaftar.",
            message_en=f"Parent agency {parent_id!r} is not registered.",
        )]
    problems = []
    if jurisdictions.is_known(command.jurisdiction_code) and not jurisdictions.contains(
        parent.jurisdiction_code, command.jurisdiction_code
    ):
        problems.append(reason(
            "parent_outside_jurisdiction", field="parent_id",
            message_id=f"Instansi induk {parent_id} ({parent.jurisdiction_code}) tidak mencakup wilayah "
                       f"{command.jurisdiction_code}.",
            message_en=f"Parent agency {parent_id} ({parent.jurisdiction_code}) does not cover "
                       f"{command.jurisdiction_code}.",
        ))
    seen = {command.agency_id}
    node: Agency | None = parent
    while node is not None:
        if node.agency_id in seen:
            problems.append(reason(
                "parent_cycle", field="parent_id", message_id=f"Instansi induk {parent_id} membuat lingkaran induk.",
                message_en=f"Parent agency {parent_id} would make a cycle of parents.",
            ))
            break
        seen.add(node.agency_id)
        node = directory.get(node.parent_id)
    return problems


def check_deactivate(command: DeactivateAgency, directory: Directory) -> list[Reason]:
    if directory.get(command.agency_id) is None:
        return [reason(
            "unknown_agency", field="agency_id", message_id=f"Instansi {command.agency_id!r} tidak terdaftar.",
            message_en=f"Agency {command.agency_id!r} is not registered.",
        )]
    return []
