"""The application's notion of today and now; CNFS_TODAY=YYYY-MM-DD pins the date for demos."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

# Deadlines and review days are French dates.
PARIS = ZoneInfo("Europe/Paris")


def _pinned_date() -> dt.date | None:
    raw = os.environ.get("CNFS_TODAY")
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"CNFS_TODAY doit être une date AAAA-MM-JJ (reçu : {raw!r})") from None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def now() -> dt.datetime:
    """Current time, UTC-aware; on the pinned date when CNFS_TODAY is set."""
    current = _utc_now()
    pinned = _pinned_date()
    if pinned is None:
        return current
    # The pinned day at Paris's time of day, so that now() falls on today() in Paris even
    # late in the evening (23:30 UTC is already tomorrow there); events keep their order.
    paris_time = current.astimezone(PARIS).time()
    return dt.datetime.combine(pinned, paris_time, tzinfo=PARIS).astimezone(dt.UTC)


def today() -> dt.date:
    """Today's date in Paris, or CNFS_TODAY."""
    pinned = _pinned_date()
    return pinned if pinned is not None else now().astimezone(PARIS).date()
