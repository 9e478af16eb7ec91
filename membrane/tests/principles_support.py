"""Helpers for the principle and decision tests: a draft with sensible defaults, walked through its life."""

from __future__ import annotations

import itertools

from membrane.principles import services

_slugs = itertools.count(1)


def draft(actor, **fields):
    values = {
        "slug": f"test-principle-{next(_slugs)}",
        "title": "No marketing during a crisis",
        "categories": ["marketing"],
        "condition": 'stage == "crisis"',
        "effect": "suppress",
        "priority": 100,
        "examples": [
            {
                "name": "crisis suppresses marketing",
                "facts": {"stage": "crisis", "days_in_stage": 2},
                "interaction": {"team": "marketing_devices", "category": "marketing", "channel": "email"},
                "expect_verdict": "suppress",
            }
        ],
    }
    values.update(fields)
    return services.principle_create(actor=actor, **values)


def publish(version, *, author, reviewer):
    version = services.principle_version_submit(version=version, actor=author)
    version = services.principle_version_approve(version=version, actor=reviewer)
    return services.principle_version_publish(version=version, actor=author)
