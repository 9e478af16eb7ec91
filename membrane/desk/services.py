"""What an agent records from the 360° page (issue 17): an ETA given for an open ticket, a call.

Each record is a signal stored by cxcore's `signals_ingest`, the service the signals API uses, with the
source "console", the agent as the author in its payload and the form's idempotency key, so a double
submit stores it once. The customer is then brought up to now at once on the event-time path for one
customer (the stage, then the prescribed tasks: `actions_sync` for that customer, as the worker does
after an ingest), so the page shows the new stage, verdicts and tasks without waiting for the worker.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.utils import timezone

from cxcore.ingest import signals_ingest
from cxcore.models import Customer
from cxcore.schemas import InvalidInput, error
from cxcore.signal_kinds import Direction, SignalKind
from membrane.actions.services import actions_sync

from .selectors import customer_open_tickets

SOURCE = "console"
NOTE_MAX = 1000
# How a call went. An outbound call that reached the customer (or their voicemail) is a contact: it counts
# in contacts_7d and against caps like any message sent; the other calls are stored and shown as "call".
CALL_OUTCOMES = {
    "reached": "reached the customer",
    "voicemail": "left a voicemail",
    "no_answer": "no answer",
    "callback_requested": "asked to be called back",
}
CONTACT_OUTCOMES = frozenset({"reached", "voicemail"})
CALL_KIND = "call"
CALL_CATEGORY = "agent_contact"
CALL_CHANNEL = "phone"


@dataclass(frozen=True)
class Recorded:
    kind: str
    stored: bool  # False: this key was stored before (a double submit), nothing new


def customer_reevaluate(*, customer: Customer, at: dt.datetime) -> None:
    """The customer's stage brought up to `at` from their signals and their prescribed tasks synced: what the
    worker's run of changed customers does, for this customer alone and at once."""
    actions_sync(customer_ids=[customer.pk], at=at)


def _key(key: str) -> str:
    try:
        return str(uuid.UUID(str(key)))
    except ValueError:
        raise InvalidInput("The form is out of date.", [error(None, "key", "Reload the page and try again.")]) from None


def _author(user) -> dict:
    return {"author": user.get_username(), "author_team": user.team.key if user.team_id else None}


def _store(*, customer: Customer, item: dict, at: dt.datetime) -> bool:
    result = signals_ingest(items=[{"customer": customer.external_id, **item}], source=SOURCE)
    customer_reevaluate(customer=customer, at=at)
    return result.accepted == 1


def ticket_eta_record(*, customer: Customer, ticket_ref: str, eta: dt.datetime | None, author, key: str) -> Recorded:
    """A `ticket_eta_given` for one of the customer's open tickets: the agent told them when it will be fixed."""
    at = timezone.now()
    errors = []
    open_refs = {ticket.ref for ticket in customer_open_tickets(customer_id=customer.pk, at=at)}
    if ticket_ref not in open_refs:
        errors.append(error(None, "ticket", "Choose one of the customer's open tickets."))
    if eta is None:
        errors.append(error(None, "eta", "Give the date and time the problem will be fixed."))
    elif timezone.is_naive(eta):
        errors.append(error(None, "eta", "The ETA needs a timezone."))
    elif eta <= at:
        errors.append(error(None, "eta", "The ETA must lie in the future."))
    idempotency_key = _key(key)
    if errors:
        raise InvalidInput("Nothing was recorded.", errors)
    item = {
        "kind": SignalKind.TICKET_ETA_GIVEN.value,
        "occurred_at": at.isoformat(),
        "direction": Direction.OUT.value,
        "channel": CALL_CHANNEL,
        "ticket_ref": ticket_ref,
        "eta": eta.isoformat(),
        "idempotency_key": idempotency_key,
        "payload": _author(author),
    }
    return Recorded(kind=item["kind"], stored=_store(customer=customer, item=item, at=at))


def call_log(*, customer: Customer, direction: str, outcome: str, note: str, author, key: str) -> Recorded:
    """A phone call with the customer, outbound (the agent called) or inbound, its outcome and a note."""
    at = timezone.now()
    errors = []
    if direction not in Direction.values:
        errors.append(error(None, "direction", "Say who called: we or the customer."))
    if outcome not in CALL_OUTCOMES:
        errors.append(error(None, "outcome", f"Choose an outcome: {', '.join(CALL_OUTCOMES.values())}."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors.append(error(None, "note", f"At most {NOTE_MAX} characters; this note has {len(note)}."))
    idempotency_key = _key(key)
    if errors:
        raise InvalidInput("Nothing was recorded.", errors)
    contact = direction == Direction.OUT and outcome in CONTACT_OUTCOMES
    item = {
        "kind": SignalKind.CONTACT.value if contact else CALL_KIND,
        "occurred_at": at.isoformat(),
        "direction": direction,
        "channel": CALL_CHANNEL,
        "category": CALL_CATEGORY,
        "idempotency_key": idempotency_key,
        "payload": {**_author(author), "outcome": outcome, "note": note},
    }
    if author.team_id:
        item["team"] = author.team.key
    return Recorded(kind=item["kind"], stored=_store(customer=customer, item=item, at=at))
