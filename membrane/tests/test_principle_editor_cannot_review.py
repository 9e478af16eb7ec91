"""Four eyes: whoever changed a version may not approve or reject it, even when they did not author it."""

from __future__ import annotations

import pytest

from cxcore.factories import make_user
from membrane.principles import services
from membrane.tests.principles_support import draft


def _edited_by(author, editor):
    version = draft(author)
    version = services.principle_version_update(
        version=version, actor=editor, lock_version=version.lock_version, condition='stage == "at_risk"'
    )
    return services.principle_version_submit(version=version, actor=author)


def test_a_manager_who_edited_a_draft_cannot_approve_it(cx_manager, service_manager):
    version = _edited_by(cx_manager, service_manager)
    with pytest.raises(services.NotAllowed, match="nor one they edited"):
        services.principle_version_approve(version=version, actor=service_manager)
    version.refresh_from_db()
    assert version.approver is None and version.approved_at is None


def test_a_manager_who_edited_a_draft_cannot_reject_it(cx_manager, service_manager):
    version = _edited_by(cx_manager, service_manager)
    with pytest.raises(services.NotAllowed, match="nor one they edited"):
        services.principle_version_reject(version=version, actor=service_manager, comment="not like this")


def test_an_edit_made_before_a_rejection_still_counts(cx_manager, service_manager):
    version = _edited_by(cx_manager, service_manager)
    other = make_user("mira", role="cx_manager", team="marketing_devices")
    version = services.principle_version_reject(version=version, actor=other, comment="say why")
    version = services.principle_version_submit(version=version, actor=cx_manager)
    with pytest.raises(services.NotAllowed, match="nor one they edited"):
        services.principle_version_approve(version=version, actor=service_manager)


def test_a_manager_of_another_team_who_did_not_change_it_approves(cx_manager, service_manager):
    version = _edited_by(cx_manager, service_manager)
    reviewer = make_user("mira", role="cx_manager", team="marketing_devices")
    version = services.principle_version_approve(version=version, actor=reviewer)
    assert version.approver == reviewer
