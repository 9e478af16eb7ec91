"""draft -> in review -> published -> superseded/retired; reject -> draft; rollback publishes a copy."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from membrane.models.principles import AuditAction, PrincipleVersion, VersionStatus
from membrane.principles import services
from membrane.tests.principles_support import draft, publish


def test_a_principle_goes_from_draft_to_published(cx_manager, service_manager):
    version = draft(cx_manager)
    assert version.status == VersionStatus.DRAFT and version.number == 1

    version = services.principle_version_submit(version=version, actor=cx_manager)
    assert version.status == VersionStatus.IN_REVIEW and version.submitted_at is not None
    version = services.principle_version_approve(version=version, actor=service_manager)
    assert version.approver == service_manager and version.status == VersionStatus.IN_REVIEW
    version = services.principle_version_publish(version=version, actor=cx_manager)

    assert version.status == VersionStatus.PUBLISHED and version.published_at is not None
    actions = list(version.audit.order_by("id").values_list("action", "actor__username"))
    assert actions == [
        (AuditAction.CREATE, "carla"),
        (AuditAction.SUBMIT, "carla"),
        (AuditAction.APPROVE, "sven"),
        (AuditAction.PUBLISH, "carla"),
    ]


def test_publishing_a_new_version_supersedes_the_published_one(cx_manager, service_manager):
    first = publish(draft(cx_manager), author=cx_manager, reviewer=service_manager)
    second = services.principle_version_draft_create(version=first, actor=cx_manager, change_note="higher priority")
    second = services.principle_version_update(
        version=second, actor=cx_manager, lock_version=second.lock_version, priority=150
    )
    publish(second, author=cx_manager, reviewer=service_manager)

    first.refresh_from_db()
    assert first.status == VersionStatus.SUPERSEDED and first.ended_at is not None
    published = PrincipleVersion.objects.filter(principle=first.principle, status=VersionStatus.PUBLISHED)
    assert [(v.number, v.priority) for v in published] == [(2, 150)]


def test_publishing_needs_an_approval(cx_manager):
    version = services.principle_version_submit(version=draft(cx_manager), actor=cx_manager)
    with pytest.raises(services.InvalidTransition, match="must approve it first"):
        services.principle_version_publish(version=version, actor=cx_manager)


def test_a_rejected_version_goes_back_to_draft_with_the_comment(cx_manager, service_manager):
    version = services.principle_version_submit(version=draft(cx_manager), actor=cx_manager)
    with pytest.raises(services.InvalidVersion, match="comment"):
        services.principle_version_reject(version=version, actor=service_manager, comment=" ")

    version = services.principle_version_reject(version=version, actor=service_manager, comment="Scope upsell too.")

    assert version.status == VersionStatus.DRAFT and version.review_comment == "Scope upsell too."
    edited = services.principle_version_update(
        version=version, actor=cx_manager, lock_version=version.lock_version, categories=["marketing", "upsell"]
    )
    assert edited.categories == ["marketing", "upsell"]


def test_a_submitted_version_never_changes(cx_manager, service_manager):
    version = services.principle_version_submit(version=draft(cx_manager), actor=cx_manager)
    with pytest.raises(services.InvalidTransition, match="never changes"):
        services.principle_version_update(
            version=version, actor=cx_manager, lock_version=version.lock_version, priority=1
        )
    published = publish(draft(cx_manager), author=cx_manager, reviewer=service_manager)
    with pytest.raises(services.InvalidTransition, match="never changes"):
        services.principle_version_update(
            version=published, actor=cx_manager, lock_version=published.lock_version, priority=1
        )
    assert PrincipleVersion.objects.get(pk=version.pk).priority == 100


def test_retire_leaves_nothing_published(cx_manager, service_manager):
    version = publish(draft(cx_manager), author=cx_manager, reviewer=service_manager)
    services.principle_version_retire(version=version, actor=cx_manager)
    assert not version.principle.versions.filter(status=VersionStatus.PUBLISHED).exists()
    assert version.principle.versions.get().status == VersionStatus.RETIRED


def test_rollback_publishes_a_copy_of_an_older_version(cx_manager, service_manager):
    first = publish(draft(cx_manager, priority=100), author=cx_manager, reviewer=service_manager)
    second = services.principle_version_draft_create(version=first, actor=cx_manager)
    second = services.principle_version_update(version=second, actor=cx_manager, lock_version=1, priority=5)
    second = publish(second, author=cx_manager, reviewer=service_manager)

    third = services.principle_version_rollback(version=first, actor=cx_manager)

    assert (third.number, third.priority, third.status, third.copied_from_id) == (3, 100, "published", first.pk)
    second.refresh_from_db()
    assert second.status == VersionStatus.SUPERSEDED
    assert third.audit.filter(action=AuditAction.ROLLBACK).exists()


def test_the_database_refuses_two_published_versions_of_one_principle(cx_manager, service_manager):
    version = publish(draft(cx_manager), author=cx_manager, reviewer=service_manager)
    other = services.principle_version_draft_create(version=version, actor=cx_manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        PrincipleVersion.objects.filter(pk=other.pk).update(status=VersionStatus.PUBLISHED)


def test_invalid_content_is_refused_naming_each_field(cx_manager):
    with pytest.raises(services.InvalidVersion) as error:
        draft(
            cx_manager,
            categories=["marketting"],
            condition="open_ticket > 0",
            effect="cap",
            params={"n": 0},
        )
    errors = error.value.errors
    assert "unknown categories: marketting" in errors["categories"]
    assert "open_tickets" in errors["condition"]  # the suggestion names the fact meant
    assert set(errors) >= {"params.n", "params.days"}


def test_a_prescribed_action_has_typed_params_and_no_scope(cx_manager):
    with pytest.raises(services.InvalidVersion) as error:
        draft(
            cx_manager,
            effect="prescribe",
            params={"action": "fly_to_customer", "team": "service", "due_hours": "soon"},
            examples=[],
        )
    assert set(error.value.errors) == {"params.action", "params.due_hours", "scope"}

    version = draft(
        cx_manager,
        categories=[],
        effect="prescribe",
        params={"action": "agent_contact", "team": "service", "due_hours": 24},
        examples=[],
    )
    assert version.params == {"action": "agent_contact", "team": "service", "due_hours": 24, "repeat_days": None}
