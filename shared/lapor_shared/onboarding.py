"""Who is onboarded to Kafka: the agencies that have their own command topic and stream, and the admin
scopes that have their own command topic (and, at the nation or a province, a triage stream).

Topics for every agency of the registry would be thousands (routing seeds 610 agencies; each needs two
topics) and a fresh broker takes seconds per few hundred (docs/jurisdictions.md has the measurements),
so only the agencies an operator onboards get them. One file says who (``data/onboarding.toml`` by
default, ``LAPOR_ONBOARDING_FILE`` to override), read by the provisioner (which topics to create), by
``topics.destinations`` (which streams an event also goes to) and by the Kafka principal generator
(which ``KafkaUser`` to write). A running service re-reads the file when it changes, at most every
``RECHECK_S`` seconds, so an agency onboarded after it started gets its stream without a restart.
"""

from __future__ import annotations

import os
import re
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lapor_shared.regions import is_known

ENV_VAR = "LAPOR_ONBOARDING_FILE"
RECHECK_S = 30.0
"""How often a running process looks whether the onboarding file changed."""

AGENCY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,99}")
"""An agency id as routing's registry accepts it: 2–100 letters, digits, ``.``, ``_``, ``-`` (all legal in
a Kafka topic name), starting with a letter or digit."""


class OnboardingError(ValueError):
    """The onboarding file says something that cannot be: an invalid agency id, an unknown code."""


@dataclass(frozen=True)
class Onboarding:
    agencies: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Agency id → the agency's jurisdiction code."""
    admin_scopes: tuple[str, ...] = ()
    """Jurisdiction codes whose admins act on Kafka."""

    def __post_init__(self) -> None:
        problems = [f"agency id {a!r}" for a in self.agencies if not AGENCY_ID.fullmatch(a)]
        problems += [f"code {c!r} of {a}" for a, c in self.agencies.items() if not is_known(c)]
        problems += [f"admin scope {c!r}" for c in self.admin_scopes if not is_known(c)]
        if problems:
            raise OnboardingError("not valid in the onboarding: " + ", ".join(problems[:10]))
        object.__setattr__(self, "agencies", MappingProxyType(dict(self.agencies)))
        object.__setattr__(self, "admin_scopes", tuple(dict.fromkeys(self.admin_scopes)))

    def agency_code(self, agency_id: str) -> str | None:
        """The jurisdiction of an onboarded agency, None for one that is not onboarded."""
        return self.agencies.get(agency_id)

    def has_admin_scope(self, code: str) -> bool:
        return code in self.admin_scopes

    @classmethod
    def from_toml(cls, text: str) -> Onboarding:
        data: dict[str, Any] = tomllib.loads(text)
        agencies = data.get("agencies", {})
        scopes = data.get("admins", {}).get("scopes", [])
        if not isinstance(agencies, dict) or not all(isinstance(v, str) for v in agencies.values()):
            raise OnboardingError("[agencies] maps each agency id to its jurisdiction code")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise OnboardingError("[admins] scopes is a list of jurisdiction codes")
        return cls(agencies, tuple(scopes))

    @classmethod
    def load(cls, path: str | Path | None = None) -> Onboarding:
        """The file at ``path``, else ``LAPOR_ONBOARDING_FILE``, else the bundled development default."""
        return cls.from_toml(_read(path or os.environ.get(ENV_VAR)))


def text(path: str | Path | None = None) -> str:
    """The onboarding file's text, as ``Onboarding.load`` reads it (what deploy/k8s ships in a ConfigMap)."""
    return _read(path or os.environ.get(ENV_VAR))


def _read(path: str | Path | None) -> str:
    if path:
        return Path(path).read_text(encoding="utf-8")
    return resources.files("lapor_shared.data").joinpath("onboarding.toml").read_text(encoding="utf-8")


@dataclass
class _Cached:
    source: str | None
    stamp: float | None
    checked_at: float
    onboarding: Onboarding


_cached: _Cached | None = None


def current() -> Onboarding:
    """This process's onboarding: loaded once, re-read when the file changed (looked at every ``RECHECK_S``)."""
    global _cached
    source = os.environ.get(ENV_VAR) or None
    now = time.monotonic()
    if _cached is not None and _cached.source == source and now - _cached.checked_at < RECHECK_S:
        return _cached.onboarding
    stamp = _stamp(source)
    if _cached is None or _cached.source != source or _cached.stamp != stamp:
        _cached = _Cached(source, stamp, now, Onboarding.load(source))
    else:
        _cached.checked_at = now
    return _cached.onboarding


def _stamp(source: str | None) -> float | None:
    if source is None:
        return None
    try:
        return os.stat(source).st_mtime
    except OSError:
        return None


def forget() -> None:
    """Read the file again at the next ``current()`` (tests that change ``LAPOR_ONBOARDING_FILE``)."""
    global _cached
    _cached = None
