"""A version's content is checked by typed schemas before it is stored: each bad field is named, by its path.

Before, an example's facts were "an object" and its interaction a set of keys: a fact of the wrong
type was stored, and publishing failed with a TypeError once the condition compared it; a misspelt
fact, stage or team silently never matched; a cap's window or a priority out of range was stored
and failed later, in a decision (a timedelta overflow) or in the database.
"""

from __future__ import annotations

import pytest

from cxcore.models import Team
from membrane.principles import services

from .principles_support import draft

pytestmark = pytest.mark.django_db

MARKETING = {"team": "marketing_devices", "category": "marketing", "channel": "email"}


def example(**fields):
    return {
        "name": "an example",
        "facts": {"stage": "crisis"},
        "interaction": MARKETING,
        "expect_verdict": "suppress",
    } | fields


def refused(cx_manager, **fields) -> dict[str, str]:
    with pytest.raises(services.InvalidVersion) as error:
        draft(cx_manager, **fields)
    return error.value.errors


def test_an_example_fact_of_the_wrong_type_is_refused(cx_manager):
    errors = refused(cx_manager, examples=[example(facts={"stage": "crisis", "days_in_stage": "two"})])
    assert errors == {"examples[0].facts": "days_in_stage: must be a whole number or null"}


def test_an_example_naming_an_unknown_fact_or_stage_is_refused_with_the_closest(cx_manager):
    errors = refused(cx_manager, examples=[example(facts={"stage": "crisys", "open_ticket": 1})])
    assert errors == {
        "examples[0].facts": "stage: unknown stage 'crisys' — did you mean 'crisis'?; "
        "unknown fact 'open_ticket' — did you mean 'open_tickets'?"
    }


def test_an_example_interaction_names_keys_of_the_vocabularies(cx_manager):
    errors = refused(cx_manager, examples=[example(interaction={**MARKETING, "team": "field_service"})])
    assert errors == {"examples[0].interaction": "team: unknown team 'field_service' — did you mean 'service'?"}
    Team.objects.create(key="field_service", name="Field service")
    version = draft(cx_manager, examples=[example(interaction={**MARKETING, "team": "field_service"})])
    assert version.examples[0]["interaction"]["team"] == "field_service"


def test_a_misspelt_example_field_is_refused_not_ignored(cx_manager):
    errors = refused(cx_manager, examples=[example(contact=3)])
    assert errors == {"examples[0].contact": "Unknown field."}


def test_an_example_needs_one_expectation_and_a_name(cx_manager):
    errors = refused(cx_manager, examples=[{"facts": {}, "expect_match": True, "expect_verdict": "allow"}])
    assert errors == {
        "examples[0].name": "This field is required.",
        "examples[0]": "give exactly one of expect_match (true/false) or expect_verdict (allow/suppress)",
    }


def test_a_cap_window_no_date_can_reach_is_refused(cx_manager):
    errors = refused(cx_manager, effect="cap", params={"n": 2, "days": 10**9}, examples=[])
    assert errors == {"params.days": "Must be between 1 and 36500."}


def test_a_priority_the_database_cannot_hold_is_refused(cx_manager):
    errors = refused(cx_manager, priority=2**31)
    assert errors == {"priority": "Must be between -2147483648 and 2147483647."}


def test_a_change_note_and_a_condition_are_text(cx_manager):
    errors = refused(cx_manager, change_note={"why": "because"}, condition=42)
    assert errors == {
        "change_note": "Must be a string.",
        "condition": "must be a string: an expression (write true for always)",
    }


def test_params_of_an_effect_that_takes_none_are_refused(cx_manager):
    errors = refused(cx_manager, params={"n": 2})
    assert errors == {"params.n": "is not a parameter of this effect"}


def test_a_valid_version_is_stored_canonical(cx_manager):
    version = draft(
        cx_manager,
        categories=["upsell", "marketing", "marketing"],
        effect="cap",
        params={"n": 2, "days": 7},
        examples=[example(facts={"stage": "crisis", "days_in_stage": None, "lifetime_value": 12.5}, contacts=2)],
    )
    assert version.categories == ["marketing", "upsell"]
    assert version.params == {"n": 2, "days": 7}
    assert version.examples[0]["contacts"] == 2
