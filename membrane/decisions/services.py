"""decision_make: bring the customer up to `at`, read the facts, apply the rule, log the answer."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

from django.utils import timezone

from cxcore.models import Customer
from cxcore.selectors import category_needs_consent, vocabulary_has_key

from .engine import CompiledPrinciple, Ruleset, decide, ruleset_get
from .facts import contacts_in_scope, customer_row
from .log import decision_log_append
from .values import Decision, DecisionInputs, Interaction


def interaction_errors(interaction: Interaction) -> dict[str, str]:
    """Unknown vocabulary keys, by field; empty when the interaction is valid."""
    errors = {}
    for vocabulary, key in (
        ("team", interaction.team),
        ("category", interaction.category),
        ("channel", interaction.channel),
    ):
        if not vocabulary_has_key(vocabulary=vocabulary, key=key):
            errors[vocabulary] = f"unknown {vocabulary} '{key}'"
    return errors


def _ruleset_for(inputs: DecisionInputs) -> Ruleset:
    # The published set's stamp read with the customer saves the query that reads it.
    return ruleset_get() if inputs.read is None else ruleset_get(stamp=inputs.read.principles_stamp)


def decision_evaluate(
    *, inputs: DecisionInputs, interaction: Interaction, at: dt.datetime | None = None, ruleset: Ruleset | None = None
) -> Decision:
    """The answer for one interaction as of `at` (default now), without logging it."""
    at = at or timezone.now()
    ruleset = ruleset or _ruleset_for(inputs)
    row, stage = customer_row(inputs=inputs, at=at, interaction=interaction)
    signals = inputs.read.signals if inputs.read is not None else None
    contacts = None
    if signals is not None:
        contacts = lambda cap: contacts_in_scope(customer=inputs.customer, cap=cap, at=at, signals=signals)  # noqa: E731
    return decision_from_row(
        customer=inputs.customer,
        interaction=interaction,
        at=at,
        ruleset=ruleset,
        row=row,
        stage=stage,
        contacts=contacts,
    )


def decision_from_row(
    *,
    customer: Customer,
    interaction: Interaction,
    at: dt.datetime,
    ruleset: Ruleset,
    row: dict,
    stage: str | None,
    contacts: Callable[[CompiledPrinciple], Sequence[dt.datetime]] | None = None,
) -> Decision:
    """The rule applied to facts already read (`row` from customer_row, with this interaction's context).

    Many questions about one customer (the 360 page's may-we matrix) read the facts once; `contacts`
    lets such a caller read each cap's contacts once too. Nothing is logged.
    """
    verdict = decide(
        ruleset,
        row,
        team=interaction.team,
        category=interaction.category,
        channel=interaction.channel,
        at=at,
        consent_required=category_needs_consent(category=interaction.category),
        consented=customer.has_consent(interaction.channel),
        contacts=contacts or (lambda cap: contacts_in_scope(customer=customer, cap=cap, at=at)),
    )
    return Decision(
        decision_id=uuid.uuid4(), customer=customer, interaction=interaction, at=at, stage=stage, verdict=verdict
    )


def decision_make(
    *, inputs: DecisionInputs, interaction: Interaction, at: dt.datetime | None = None, asked_by: str = ""
) -> Decision:
    """Decides and appends the answer to the decision log."""
    decision = decision_evaluate(inputs=inputs, interaction=interaction, at=at)
    decision_log_append([decision], asked_by=asked_by, now=timezone.now())
    return decision


def decisions_make_batch(
    *, items: Sequence[tuple[DecisionInputs, Interaction, dt.datetime | None]], asked_by: str = ""
) -> list[Decision]:
    """Many decisions, logged in one insert."""
    ruleset = _ruleset_for(items[0][0]) if items else None
    decisions = [decision_evaluate(inputs=inputs, interaction=i, at=at, ruleset=ruleset) for inputs, i, at in items]
    decision_log_append(decisions, asked_by=asked_by, now=timezone.now())
    return decisions
