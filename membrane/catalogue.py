"""The single place the fact catalogue is assembled for the expression language.

`facts_for(context)` answers which facts an expression written for `context` may read, with their
types: every customer fact in each context, and the interaction context (team, category, channel,
local_hour, weekday) only in principle conditions, the one place a decision's interaction exists.

PROVISIONAL: the list below is hard-coded from DESIGN.md section 4 so the expression language and
its check endpoint work before the fact catalogue (cxcore.facts) is wired in; the facts engineer
replaces the body of this module with one built from the catalogue's definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cxcore.defaults import CATEGORIES, CHANNELS, TEAMS
from membrane.expressions import FactSpec

CONTEXTS = ("stage_rule", "principle", "audience")

STAGES = frozenset({"onboarding", "active", "loyal", "crisis", "at_risk", "dormant"})
WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})

_CUSTOMER_FACTS = (
    FactSpec("stage", "str", STAGES),
    FactSpec("previous_stage", "str", STAGES),
    FactSpec("days_in_stage", "int"),
    FactSpec("segment", "str"),
    FactSpec("region", "str"),
    FactSpec("lifetime_value", "decimal"),
    FactSpec("tenure_days", "int"),
    FactSpec("open_tickets", "int"),
    FactSpec("open_high_severity_tickets", "int"),
    FactSpec("days_since_oldest_open_ticket", "int"),
    FactSpec("open_tickets_without_eta", "int"),
    FactSpec("eta_given", "bool"),
    FactSpec("max_issue_recurrence_90d", "int"),
    FactSpec("tickets_resolved_30d", "int"),
    FactSpec("days_since_last_resolution", "int"),
    FactSpec("complaints_30d", "int"),
    FactSpec("purchases_90d", "int"),
    FactSpec("days_since_last_purchase", "int"),
    FactSpec("last_survey_score", "decimal"),
    FactSpec("contacts_7d", "int"),
)

_INTERACTION_FACTS = (
    FactSpec("team", "str", frozenset(TEAMS)),
    FactSpec("category", "str", frozenset(CATEGORIES)),
    FactSpec("channel", "str", frozenset(CHANNELS)),
    FactSpec("local_hour", "int"),
    FactSpec("weekday", "str", WEEKDAYS),
)

_BY_CONTEXT = {
    "stage_rule": MappingProxyType({f.name: f for f in _CUSTOMER_FACTS}),
    "audience": MappingProxyType({f.name: f for f in _CUSTOMER_FACTS}),
    "principle": MappingProxyType({f.name: f for f in _CUSTOMER_FACTS + _INTERACTION_FACTS}),
}


def facts_for(context: str) -> Mapping[str, FactSpec]:
    """The facts an expression of `context` ("stage_rule", "principle", "audience") may read."""
    try:
        return _BY_CONTEXT[context]
    except KeyError:
        raise ValueError(f"unknown expression context {context!r}; one of {', '.join(CONTEXTS)}") from None
