"""What every use case needs besides its transaction: the clock, the calendar and the policy book."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lapor_followup.policies import Policy, PolicyBook
from lapor_followup.workcalendar import WorkingCalendar
from lapor_shared.clock import Clock


@dataclass(frozen=True, slots=True)
class Context:
    clock: Clock
    calendar: WorkingCalendar
    policies: PolicyBook

    def policy_of(self, case: dict[str, Any]) -> Policy:
        """The numbers a complaint runs under: always the version it started with."""
        return self.policies.policy(case["policy_version"], case["report_type"])
