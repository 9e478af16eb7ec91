"""The impact preview agrees with the engine for conditions reading the customer's local time in every way the
preview tells apart: compared with literals only (every hour of every weekday covered, alike hours sharing a
column, the customers' timezones never read), and compared with another fact (a column per local time
among the customers' timezones), with customers in timezones of different hours and days, and one in a
timezone nobody knows (the engine counts it as UTC)."""

from __future__ import annotations

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.models import Customer
from membrane.principles import services
from membrane.principles.impact import version_impact

from .principles_support import draft, publish
from .stage_helpers import NOW
from .test_principle_impact_agrees_with_decisions import SCOPES, _decided, _expected, _fields, population  # noqa: F401

LOCAL_CONDITIONS = [
    'weekday in ["saturday", "sunday"] or local_hour < 9',
    "local_hour >= 12 and open_tickets > 0",
    "not (local_hour == 13) and open_tickets == 0",
    'weekday == "monday" and stage != "loyal"',
    "local_hour > open_tickets",
    "local_hour == null or local_hour < 3",
]
PRINCIPLE = st.fixed_dictionaries(
    {
        "condition": st.sampled_from(LOCAL_CONDITIONS + ['stage == "crisis"', "true"]),
        "effect": st.sampled_from(["suppress", "allow"]),
        "priority": st.sampled_from([0, 50, 100]),
        "scope": SCOPES,
    }
)
# Hours and days apart at NOW; the last is no timezone at all.
TIMEZONES = ["Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Kolkata", "Nowhere/Atlantis"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    published=st.lists(PRINCIPLE, min_size=1, max_size=4),
    change=PRINCIPLE,
    mode=st.sampled_from(["replace", "new", "retire"]),
)
def test_the_preview_agrees_with_the_engine_on_local_time(
    population,  # noqa: F811
    cx_manager,
    service_manager,
    published,
    change,
    mode,
):
    with transaction.atomic():
        for n, customer in enumerate(Customer.objects.order_by("pk")):
            customer.timezone = TIMEZONES[n % len(TIMEZONES)]
            customer.save(update_fields=["timezone"])
        versions = [
            publish(draft(cx_manager, **_fields(spec, n)), author=cx_manager, reviewer=service_manager)
            for n, spec in enumerate(published)
        ]
        target = versions[0]
        if mode == "new":
            version = draft(cx_manager, **_fields(change, 7))
        elif mode == "replace":
            version = services.principle_version_draft_from_latest(
                principle=target.principle, actor=cx_manager, **_fields(change, 7)
            )
        else:
            version = target
        impact = version_impact(version=version, at=NOW, retire=mode == "retire")
        before, before_actions = _decided()
        if mode == "retire":
            services.principle_version_retire(version=target, actor=cx_manager)
        else:
            publish(version, author=cx_manager, reviewer=service_manager)
        after, after_actions = _decided()
        transaction.set_rollback(True)

    changes, _ = _expected(before, after, version.principle.slug, before_actions, after_actions)
    found = {(c["category"], c["channel"]): c for c in impact["changes"]}
    assert set(found) == set(changes)
    for pair, expected in changes.items():
        assert found[pair]["allow_to_suppress"] == len(expected["allow_to_suppress"])
        assert found[pair]["suppress_to_allow"] == len(expected["suppress_to_allow"])
