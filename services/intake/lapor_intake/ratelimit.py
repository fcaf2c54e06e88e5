"""Abuse limits: per reporter and per channel, counted in PostgreSQL so that they hold across replicas.

Both count *accepted* complaints in a sliding window (``admission.admissions`` reads both):
- per reporter: ``reporter_activity (identity_hash, accepted_at)``; the caller holds the reporter's
  advisory lock, so concurrent submissions of one person are counted exactly;
- per channel: the counters in ``channel_counts`` (fixed windows, sixteen shards so that concurrent
  transactions never wait for one another), the window before weighed by the share of it still inside
  the sliding window, rounded up: a few rows read whatever the rate, where counting the channel's recent
  complaints read more rows the busier the channel. Submissions of one channel are not serialised (that
  would make the channel single-threaded), so under concurrency the channel may overshoot by the number
  of transactions in flight at once (at most one per partition being consumed): a flood still cannot
  starve the other channels.
"""

from __future__ import annotations

from dataclasses import dataclass

from lapor_intake.admission import Admission
from lapor_shared.events.values import Reason, reason


@dataclass(frozen=True)
class Limits:
    reporter_limit: int = 5
    reporter_window_s: int = 3600
    channel_limit: int = 3000
    channel_window_s: int = 60


def _minutes(seconds: int) -> str:
    return f"{seconds // 3600} jam" if seconds % 3600 == 0 else f"{max(seconds // 60, 1)} menit"


def _minutes_en(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    minutes = max(seconds // 60, 1)
    return "minute" if minutes == 1 else f"{minutes} minutes"


def exceeded(limits: Limits, facts: Admission) -> Reason | None:
    """The ``rate_limited`` reason when accepting one more complaint would break a limit, else None (the
    counts come from ``admission.admissions``; a reporter without hashes counts 0)."""
    if facts.reporter_recent >= limits.reporter_limit:
        return reason(
            "rate_limited", field="reporter",
            message_id=f"Batas laporan tercapai: paling banyak {limits.reporter_limit} laporan per "
                       f"{_minutes(limits.reporter_window_s)} dari pelapor yang sama. Silakan coba lagi nanti.",
            message_en=f"Limit reached: at most {limits.reporter_limit} complaints per "
                       f"{_minutes_en(limits.reporter_window_s)} from the same reporter. Please try again later.",
        )
    if facts.channel_recent >= limits.channel_limit:
        return reason(
            "rate_limited", field="channel",
            message_id=f"Kanal ini sedang menerima terlalu banyak laporan (batas {limits.channel_limit} per "
                       f"{_minutes(limits.channel_window_s)}). Silakan coba lagi sebentar lagi.",
            message_en=f"This channel is receiving too many complaints (limit {limits.channel_limit} per "
                       f"{_minutes_en(limits.channel_window_s)}). Please try again shortly.",
        )
    return None
