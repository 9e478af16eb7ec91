"""What may we do with this customer now? The membrane's answer for the 360° view, logged nowhere.

For every category x channel, the decision engine's verdict as of `at`, asked for every team: a
principle may be scoped to teams (or read `team`), so a cell that differs by team says so. The facts
are read once and each cap's contacts once, so the cost does not grow with the customer's signals;
the rule itself is decision_from_row, the same code that answers POST /api/v1/decisions.
Beside it: the customer's open agent tasks, and what the published principles prescribe now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cxcore.models import Customer
from cxcore.selectors import vocabulary_keys
from membrane.models.decisions import AgentTask, TaskStatus

from .engine import CompiledPrinciple, ruleset_get
from .facts import contacts_in_scope, customer_row, interaction_context
from .selectors import decision_inputs_of
from .services import decision_from_row
from .values import Decision, Interaction


def _cell(category: str, channel: str, by_team: dict[str, Decision]) -> dict[str, Any]:
    answers = {team: d.verdict for team, d in by_team.items()}
    first = next(iter(answers.values()))
    uniform = all((v.verdict, v.reason) == (first.verdict, first.reason) for v in answers.values())
    cell: dict[str, Any] = {
        "category": category,
        "channel": channel,
        "verdict": first.verdict if uniform else "depends",
        "reason": first.reason if uniform else "The answer depends on the team that asks.",
        "decided_by": first.decided_by if uniform else None,
        "principle": first.deciding.label if uniform and first.deciding is not None else None,
    }
    if not uniform:
        cell["teams"] = [
            {"team": team, "verdict": v.verdict, "decided_by": v.decided_by, "reason": v.reason}
            for team, v in sorted(answers.items())
        ]
    return cell


def customer_may_we(*, customer: Customer, at: dt.datetime) -> dict[str, Any]:
    """The allow/suppress matrix now (rows: categories, columns: channels) and the prescribed actions."""
    ruleset = ruleset_get()
    base, stage = customer_row(inputs=decision_inputs_of(customer, at=at), at=at)
    # The vocabularies from their per-process cache: no query of their own.
    categories, channels, teams = (sorted(vocabulary_keys(vocabulary=name)) for name in ("category", "channel", "team"))

    read: dict[int, list[dt.datetime]] = {}

    def contacts(cap: CompiledPrinciple) -> list[dt.datetime]:
        if cap.version_id not in read:
            read[cap.version_id] = contacts_in_scope(customer=customer, cap=cap, at=at)
        return read[cap.version_id]

    rows = []
    prescribed: list[dict] = []
    for category in categories:
        cells = []
        for channel in channels:
            by_team = {}
            for team in teams:
                interaction = Interaction(team=team, category=category, channel=channel)
                row = {**base, **interaction_context(customer=customer, interaction=interaction, at=at)}
                by_team[team] = decision_from_row(
                    customer=customer,
                    interaction=interaction,
                    at=at,
                    ruleset=ruleset,
                    row=row,
                    stage=stage,
                    contacts=contacts,
                )
            cells.append(_cell(category, channel, by_team))
            prescribed = prescribed or next(iter(by_team.values())).verdict.actions
        rows.append({"category": category, "cells": cells})
    titles = {p.slug: p.title for p in ruleset.prescribes}
    return {
        "at": at,
        "stage": stage,
        "teams": teams,
        "channels": channels,
        "rows": rows,
        "prescribed": [{**action, "title": titles.get(action["principle"], "")} for action in prescribed],
    }


def customer_open_actions(*, customer: Customer, at: dt.datetime) -> list[dict[str, Any]]:
    """The customer's open agent tasks, due soonest first."""
    tasks = (
        AgentTask.objects.filter(customer=customer, status=TaskStatus.OPEN)
        .select_related("principle", "version", "claimed_by")
        .order_by("due_at", "id")
    )
    return [
        {
            "id": task.pk,
            "kind": task.kind,
            "team": task.team,
            "principle": task.principle.slug,
            "title": task.principle.title,
            "version": task.version.number,
            "opened_at": task.opened_at,
            "due": task.due_at,
            "overdue": task.due_at < at,
            # Who took it on, so that two agents do not call the same customer.
            "claimed_by": (task.claimed_by.get_full_name() or task.claimed_by.username) if task.claimed_by else None,
            "claimed_by_id": task.claimed_by_id,
            "claimed_at": task.claimed_at,
        }
        for task in tasks
    ]


def customer_may_we_360(*, customer: Customer, at: dt.datetime) -> dict[str, Any]:
    """The membrane's may-we part of the 360° view (registered with cxcore's customer_360)."""
    return {
        "may_we": customer_may_we(customer=customer, at=at),
        "open_actions": customer_open_actions(customer=customer, at=at),
    }
