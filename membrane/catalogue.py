"""The single place the fact catalogue is assembled for the expression language.

`facts_for(context)` answers which facts an expression written for `context` may read, with their
types: every customer fact in each context, and the interaction context (team, category, channel,
local_hour, weekday) only in principle conditions, the one place a decision's interaction exists.

The customer facts are the catalogue's definitions: cxcore's (cxcore.facts.catalogue) and the
stage facts defined in membrane (membrane.stage_facts).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cxcore.defaults import CATEGORIES, CHANNELS, TEAMS
from cxcore.facts.catalogue import CXCORE_FACTS, FactDef
from membrane.expressions import FactSpec
from membrane.stage_facts import STAGE_FACTS

CONTEXTS = ("stage_rule", "principle", "audience")

WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


def _spec(fact: FactDef) -> FactSpec:
    return FactSpec(fact.name, fact.type, frozenset(fact.values) if fact.values is not None else None)


# One list: the stage facts defined in membrane, then cxcore's catalogue.
_CUSTOMER_FACTS = tuple(_spec(fact) for fact in STAGE_FACTS + CXCORE_FACTS)

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


def customer_fact_definitions() -> tuple[FactDef, ...]:
    """Every customer fact as documented (name, type, description, example), in catalogue order."""
    return STAGE_FACTS + CXCORE_FACTS


def facts_for(context: str) -> Mapping[str, FactSpec]:
    """The facts an expression of `context` ("stage_rule", "principle", "audience") may read."""
    try:
        return _BY_CONTEXT[context]
    except KeyError:
        raise ValueError(f"unknown expression context {context!r}; one of {', '.join(CONTEXTS)}") from None
