"""The values of the decision path: the interaction asked about, what a decision reads of the customer
(DecisionInputs), and the decision.

The decision selectors read a customer's DecisionInputs in the customer's statement (one round trip,
one snapshot); the decision services take them. Only the customer is required: a decision reads what
was not read with them (a caller holding a plain Customer passes `DecisionInputs(customer)`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from cxcore.facts.fold_state import StoredCheckpoint
from cxcore.models import Customer
from membrane.stages.one_customer import StoredStage

from .engine import Verdict


@dataclass(frozen=True)
class Interaction:
    team: str
    category: str
    channel: str


# What a cap counts of an outbound contact, beside its time.
CONTACT_COLUMNS = ("occurred_at", "team", "category", "channel")


@dataclass(frozen=True)
class PreloadedSignals:
    """A customer's signals, read with the customer: those their checkpoint does not cover.

    `rows` are cxcore's signal rows (SIGNAL_COLUMNS) dated after `after` (None: all of them), `contacts`
    the outbound contacts dated after `contacts_since` (None: all) as CONTACT_COLUMNS tuples; a decision
    filters them, and reads what they do not hold itself (a cap's window reaching back further).
    """

    rows: list[tuple]
    contacts: list[tuple]
    after: dt.datetime | None = None
    contacts_since: dt.datetime | None = None


@dataclass(frozen=True)
class ReadWithCustomer:
    """What the selectors read in the customer's statement, all of the same moment.

    The published sets' stamps let the compiled caches be checked without queries of their own
    (`principles_stamp`: engine.ruleset_stamp_subquery, None when nothing was ever published;
    `stage_rules_stamp`: the published stage rules' stages.rules.STAMP_FIELDS, None when none are);
    `stored_stage` is what stage_bring_up_to needs of the stored stage; `checkpoint` the customer's
    stored facts checkpoint (None: none); `signals` those it does not cover (PostgreSQL), None when
    they were not read.
    """

    principles_stamp: int | None
    stage_rules_stamp: tuple | None
    stored_stage: StoredStage
    signals: PreloadedSignals | None = None
    checkpoint: StoredCheckpoint | None = None


@dataclass(frozen=True)
class DecisionInputs:
    """One moment's read of a customer for deciding: a later decision about them reads them again
    (the signals above all: a contact since counts against the caps)."""

    customer: Customer
    read: ReadWithCustomer | None = None


@dataclass
class Decision:
    decision_id: uuid.UUID
    customer: Customer
    interaction: Interaction
    at: dt.datetime
    stage: str | None
    verdict: Verdict

    def as_dict(self) -> dict:
        answer = {
            "verdict": self.verdict.verdict,
            "decided_by": self.verdict.decided_by,
            "stage": self.stage,
            "matched": self.verdict.matched,
            "facts": self.verdict.facts,
            "actions": self.verdict.actions,
            "reason": self.verdict.reason,
            "decision_id": str(self.decision_id),
            "at": self.at,
        }
        if self.verdict.retry_after is not None:
            answer["retry_after"] = self.verdict.retry_after
        return answer
