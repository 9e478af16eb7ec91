"""What the demo's customers are made of: their profiles and signals, and one customer's history as
it is written, signal by signal, in the shape of the API's items."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field


@dataclass
class DemoData:
    customers: list[dict] = field(default_factory=list)
    signals: list[dict] = field(default_factory=list)


def business_hours(rng: random.Random, day: dt.datetime) -> dt.datetime:
    """A time in business hours (UTC, close enough to the customers' local day) on that day."""
    return day.replace(hour=rng.randint(7, 17), minute=rng.randint(0, 59), second=rng.randint(0, 59))


class CustomerHistory:
    """One customer's signals, appended to `data` as they are written; those after `now` are left out."""

    def __init__(self, data: DemoData, external_id: str, now: dt.datetime):
        self.data, self.external_id, self.now, self.n = data, external_id, now, 0

    def add(self, kind: str, at: dt.datetime, **fields) -> None:
        # Numbered before the future is cut off: the key names the same event whatever `now` is.
        self.n += 1
        if at > self.now:
            return
        self.data.signals.append(
            {
                "customer": self.external_id,
                "kind": kind,
                "occurred_at": at.isoformat(),
                "idempotency_key": f"{self.external_id}:{self.n}",
                **fields,
            }
        )

    def ticket(
        self,
        rng: random.Random,
        ref: str,
        issue_key: str,
        severity: str,
        opened: dt.datetime,
        *,
        eta_after: dt.timedelta | None,
        resolve_after: dt.timedelta | None,
        team: str = "service",
    ) -> dt.datetime | None:
        """Opens a ticket with an optional ETA and resolution; returns when it was resolved."""
        common = {"team": team, "ticket_ref": ref, "issue_key": issue_key}
        self.add("ticket_opened", opened, severity=severity, **common)
        if eta_after is not None:
            eta = opened + eta_after + dt.timedelta(days=rng.randint(1, 4))
            self.add("ticket_eta_given", opened + eta_after, eta=eta.isoformat(), **common)
        if resolve_after is None:
            return None
        resolved = opened + resolve_after
        self.add("ticket_resolved", resolved, **common)
        return resolved if resolved <= self.now else None
