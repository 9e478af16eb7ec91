"""Whether the published principles suppress a campaign's contact, as a predicate over the stored facts.

The campaign fixes the interaction (team, category, channel), so steps 1 and 2 of the decision rule
(DESIGN.md 7) are one CASE per customer: without consent for the channel, when the category needs it,
suppress (not overridable); else the allow/suppress principles in scope in the engine's own ranking
(`Ruleset.scoped`), each condition compiled by the expression language's SQL back-end, the first that
holds deciding; none allows. Caps are left out, as in the preview: they count contacts already sent.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence

from django.db.models import Case, CharField, Q, Value, When
from django.db.models.lookups import Exact

from membrane.catalogue import fact_types_for
from membrane.decisions.engine import ruleset_get
from membrane.expressions import Checked, check, compile_sql
from membrane.models.principles import PrincipleVersion
from membrane.stored_facts import LOCAL_TIME, customer_timezones, local_time_columns, stored_fact_columns

from .models import Campaign

DECIDING = ("allow", "suppress")


def verdict_case(
    *, campaign: Campaign, at: dt.datetime, timezones: Callable[[], Sequence[str]] = customer_timezones
) -> Case:
    """The verdict ("allow" or "suppress") per stored facts row: what the decision API answers for this
    campaign's contact at `at` (caps aside)."""
    interaction = {"team": campaign.team.key, "category": campaign.category.key, "channel": campaign.channel.key}
    scoped, _ = ruleset_get().scoped(**interaction)
    ranked = [p for p in scoped if p.effect in DECIDING]
    conditions = dict(
        PrincipleVersion.objects.filter(pk__in=[p.version_id for p in ranked]).values_list("pk", "condition")
    )
    columns = stored_fact_columns(at=at)
    columns.update({name: Value(key, output_field=CharField()) for name, key in interaction.items()})
    if any(name in LOCAL_TIME for p in ranked for name in p.facts):
        columns.update(local_time_columns(at=at, timezones=timezones()))
    verdict = Case(
        *(When(compile_sql(_checked(conditions[p.version_id]), columns), then=Value(p.effect)) for p in ranked),
        default=Value("allow"),
        output_field=CharField(),
    )
    if campaign.category.requires_consent:
        consented = Q(**{f"customer__consent__{campaign.channel.key}": True})
        verdict = Case(When(consented, then=verdict), default=Value("suppress"), output_field=CharField())
    return verdict


@functools.lru_cache(maxsize=1024)
def _checked(condition: str) -> Checked:
    # A published condition parsed once per process, not once per campaign that its scope covers.
    return check(condition, fact_types_for("principle"))


def suppressed_q(
    *, campaign: Campaign, at: dt.datetime, timezones: Callable[[], Sequence[str]] = customer_timezones
) -> Q:
    """The stored facts rows for whom the principles suppress this campaign's contact at `at`; `timezones` gives
    the customers' timezones when a condition reads local time (a caller judging many campaigns reads them once)."""
    return Q(Exact(verdict_case(campaign=campaign, at=at, timezones=timezones), Value("suppress")))
