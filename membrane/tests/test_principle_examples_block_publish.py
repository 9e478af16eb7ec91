"""A version carries examples; publishing is refused while one fails, naming it."""

from __future__ import annotations

import pytest

from membrane.models.principles import VersionStatus
from membrane.principles import services
from membrane.principles.tests_runner import examples_run

MARKETING = {"team": "marketing_devices", "category": "marketing", "channel": "email"}


def test_the_examples_run_against_the_compiled_condition(cx_manager):
    from membrane.tests.principles_support import draft

    version = draft(
        cx_manager,
        examples=[
            {"name": "in crisis", "facts": {"stage": "crisis"}, "interaction": MARKETING, "expect_match": True},
            {"name": "active", "facts": {"stage": "active"}, "interaction": MARKETING, "expect_verdict": "allow"},
            {
                "name": "out of scope",
                "facts": {"stage": "crisis"},
                "interaction": {**MARKETING, "category": "survey"},
                "expect_match": False,
            },
        ],
    )
    assert [(r.name, r.passed) for r in examples_run(version)] == [
        ("in crisis", True),
        ("active", True),
        ("out of scope", True),
    ]


def test_a_failing_example_blocks_publishing(cx_manager, service_manager):
    from membrane.tests.principles_support import draft

    version = draft(
        cx_manager,
        examples=[
            {
                "name": "crisis allows marketing",
                "facts": {"stage": "crisis"},
                "interaction": MARKETING,
                "expect_verdict": "allow",
            }
        ],
    )
    version = services.principle_version_submit(version=version, actor=cx_manager)
    version = services.principle_version_approve(version=version, actor=service_manager)
    with pytest.raises(
        services.InvalidTransition, match="example 'crisis allows marketing' expected allow but got suppress"
    ):
        services.principle_version_publish(version=version, actor=cx_manager)
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW


def test_a_malformed_example_is_refused_when_saved(cx_manager):
    from membrane.tests.principles_support import draft

    with pytest.raises(services.InvalidVersion) as error:
        draft(cx_manager, examples=[{"name": "no expectation", "facts": {"stage": "crisis"}}])
    assert "exactly one of expect_match" in error.value.errors["examples[0]"]


def test_every_reference_principle_passes_its_examples(db):
    from membrane.models.principles import PrincipleVersion

    published = PrincipleVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("principle")
    assert published.count() == 7
    failures = {v.principle.slug: [r for r in examples_run(v) if not r.passed] for v in published}
    assert {slug: f for slug, f in failures.items() if f} == {}
