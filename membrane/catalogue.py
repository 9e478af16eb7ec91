"""The single place the fact catalogue is assembled for the expression language.

`facts_for(context)` answers which facts an expression written for `context` may read, with their
types: every customer fact in each context, and the interaction context (team, category, channel,
local_hour, weekday) only in principle conditions, the one place a decision's interaction exists.

The customer facts are the catalogue's definitions: cxcore's (cxcore.facts.catalogue) and the
stage facts defined in membrane (membrane.stages.facts).

The values a team, category, channel, stage or previous_stage may be compared with are data: the
keys of the vocabularies (Team, Category, Channel, StageDefinition) as the database holds them when
the expression is checked, so a key added in the admin is accepted by the next check and one removed
is refused. An expression stored earlier was checked when it was written; compiling it again needs
the types alone (`fact_types_for`), so a key removed since never breaks a published principle.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from types import MappingProxyType

from django.db import connection

from cxcore.facts.catalogue import CXCORE_FACTS, FactDef
from cxcore.models import Category, Channel, Team
from membrane.expressions import FactSpec
from membrane.models.stages import StageDefinition
from membrane.stages.facts import STAGE_FACTS, is_day_count

CONTEXTS = ("stage_rule", "principle", "audience")

WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


def _spec(fact: FactDef) -> FactSpec:
    values = frozenset(fact.values) if fact.values is not None else None
    return FactSpec(fact.name, fact.type, values, days=is_day_count(fact))


# One list: the stage facts defined in membrane, then cxcore's catalogue.
_CUSTOMER_FACTS = tuple(_spec(fact) for fact in STAGE_FACTS + CXCORE_FACTS)

_INTERACTION_FACTS = (
    FactSpec("team", "str"),
    FactSpec("category", "str"),
    FactSpec("channel", "str"),
    FactSpec("local_hour", "int"),
    FactSpec("weekday", "str", WEEKDAYS),
)

# The facts whose values are the keys of a vocabulary, by the vocabulary's model.
_VOCABULARY_OF = {
    "stage": StageDefinition,
    "previous_stage": StageDefinition,
    "team": Team,
    "category": Category,
    "channel": Channel,
}

_BY_CONTEXT = {
    "stage_rule": MappingProxyType({f.name: f for f in _CUSTOMER_FACTS}),
    "audience": MappingProxyType({f.name: f for f in _CUSTOMER_FACTS}),
    "principle": MappingProxyType({f.name: f for f in _CUSTOMER_FACTS + _INTERACTION_FACTS}),
}


def customer_fact_definitions() -> tuple[FactDef, ...]:
    """Every customer fact as documented (name, type, description, example), in catalogue order."""
    return STAGE_FACTS + CXCORE_FACTS


def fact_types_for(context: str) -> Mapping[str, FactSpec]:
    """The facts an expression of `context` ("stage_rule", "principle", "audience") may read, by type alone.

    No vocabulary's keys and no query: for compiling an expression stored earlier, whose values were
    checked when it was written (a team removed since must not stop a published principle).
    """
    try:
        return _BY_CONTEXT[context]
    except KeyError:
        raise ValueError(f"unknown expression context {context!r}; one of {', '.join(CONTEXTS)}") from None


# Per context: the vocabularies' keys last read, and the facts built from them.
_with_keys: dict[str, tuple[dict[type, frozenset[str]], Mapping[str, FactSpec]]] = {}


def facts_for(context: str) -> Mapping[str, FactSpec]:
    """The facts an expression being written for `context` may read, a vocabulary's facts with its keys now.

    One query reads every vocabulary's keys: they are the stamp, so no process ever checks against
    keys another has changed (a receiver clearing a per-process cache would not reach the others).
    The mapping built from them is kept until they change: the console checks as the user types.
    """
    types = fact_types_for(context)
    keys = _vocabulary_keys()
    built = _with_keys.get(context)
    if built is not None and built[0] == keys:
        return built[1]
    facts = MappingProxyType(
        {
            name: dataclasses.replace(spec, values=keys[_VOCABULARY_OF[name]]) if name in _VOCABULARY_OF else spec
            for name, spec in types.items()
        }
    )
    _with_keys[context] = (keys, facts)
    return facts


def _vocabulary_keys() -> dict[type, frozenset[str]]:
    """Every vocabulary's keys, by model, in one round trip."""
    models, sql = _keys_query()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    keys: list[set[str]] = [set() for _ in models]
    for index, key in rows:
        keys[index].add(key)
    return {model: frozenset(found) for model, found in zip(models, keys, strict=True)}


@functools.cache
def _keys_query() -> tuple[tuple[type, ...], str]:
    # Plain SQL from the models' tables (each row tagged with its model's index): the ORM's union of
    # four querysets costs ten times the query itself.
    models = tuple(dict.fromkeys(_VOCABULARY_OF.values()))
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT {index}, {quote(model._meta.get_field('key').column)} FROM {quote(model._meta.db_table)}"
        for index, model in enumerate(models)
    )
    return models, sql
