"""The values an expression may compare a team, category, channel or stage with are the vocabularies' rows.

A key added in the admin (here through the ORM, as the admin does) is accepted by the very next check,
an unknown one is refused with the closest key, a removed one refused; and an expression stored
before a key was removed still compiles, so a published principle or stage rule keeps working.
"""

from __future__ import annotations

import pytest

from cxcore.models import Category, Channel, Team
from membrane.catalogue import facts_for
from membrane.decisions.engine import ruleset_get, ruleset_invalidate
from membrane.expressions import ExpressionError, check
from membrane.models import StageDefinition, StageRule, StageRuleSet
from membrane.stages.rules import ruleset_compile

from .principles_support import draft, publish

pytestmark = pytest.mark.django_db

URL = "/api/v1/expressions/check"


def problems(source: str, context: str = "principle") -> list[tuple[str, str | None]]:
    with pytest.raises(ExpressionError) as caught:
        check(source, facts_for(context))
    return [(problem.message, problem.suggestion) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("model", "fact", "context"),
    [
        (Team, "team", "principle"),
        (Channel, "channel", "principle"),
        (Category, "category", "principle"),
        (StageDefinition, "stage", "stage_rule"),
        (StageDefinition, "previous_stage", "audience"),
    ],
)
def test_a_key_added_is_accepted_at_once_and_refused_once_removed(model, fact, context):
    facts_for(context)  # whatever the process holds, it holds it from before the key exists
    row = model.objects.create(key="brand_new", name="Brand new")
    assert check(f'{fact} == "brand_new"', facts_for(context)).facts_read == [fact]
    assert check(f'{fact} in ["brand_new"]', facts_for(context)).facts_read == [fact]
    assert problems(f'{fact} == "brand_nwe"', context) == [
        (f"unknown {fact} 'brand_nwe' — did you mean 'brand_new'?", '"brand_new"')
    ]
    row.delete()
    [(message, _)] = problems(f'{fact} == "brand_new"', context)
    assert message.startswith(f"unknown {fact} 'brand_new'")


def test_the_check_endpoint_accepts_a_team_added_in_the_admin(api, make_token):
    token = make_token("read")
    body = {"expression": 'team == "field_service"', "context": "principle"}
    assert api(token).post(URL, body).json()["ok"] is False
    Team.objects.create(key="field_service", name="Field service")
    assert api(token).post(URL, body).json() == {"ok": True, "facts": ["team"]}


def test_a_principle_scoped_to_a_new_team_may_name_it_in_its_condition(cx_manager):
    Team.objects.create(key="field_service", name="Field service")
    version = draft(cx_manager, teams=["field_service"], condition='team == "field_service" and open_tickets > 0')
    assert version.teams == ["field_service"]


def test_a_principle_naming_a_team_removed_since_still_decides(cx_manager, service_manager):
    Team.objects.create(key="field_service", name="Field service")
    version = draft(cx_manager, condition='stage == "crisis" and team != "field_service"', examples=[])
    publish(version, author=cx_manager, reviewer=service_manager)
    Team.objects.filter(key="field_service").delete()
    ruleset_invalidate()
    assert version.pk in [principle.version_id for principle in ruleset_get().principles]


def test_stage_rules_naming_a_stage_removed_since_still_compile():
    StageDefinition.objects.create(key="hibernating", name="Hibernating")
    ruleset = StageRuleSet.objects.create(number=900, default_stage="active")
    StageRule.objects.create(ruleset=ruleset, position=1, stage="hibernating", condition='stage == "hibernating"')
    StageDefinition.objects.filter(key="hibernating").delete()
    assert [rule.stage for rule in ruleset_compile(ruleset).rules] == ["hibernating"]


def test_an_empty_vocabulary_is_named_as_such():
    Channel.objects.all().delete()
    assert problems('channel == "email"') == [("unknown channel 'email'; no channel is defined yet", None)]
