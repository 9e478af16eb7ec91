"""Agents and marketers cannot create or approve; nobody approves their own version; nor does their own team."""

from __future__ import annotations

import pytest

from cxcore.factories import make_user
from membrane.principles import services
from membrane.tests.principles_support import draft

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["agent", "marketer", "outsider"])
def test_only_cx_managers_create_principles(db, persona, request):
    with pytest.raises(services.NotAllowed):
        draft(request.getfixturevalue(persona))


@pytest.mark.parametrize("persona", ["agent", "marketer"])
def test_agents_and_marketers_cannot_approve(persona, request, cx_manager):
    version = services.principle_version_submit(version=draft(cx_manager), actor=cx_manager)
    with pytest.raises(services.NotAllowed):
        services.principle_version_approve(version=version, actor=request.getfixturevalue(persona))


def test_nobody_approves_their_own_version(cx_manager):
    version = services.principle_version_submit(version=draft(cx_manager), actor=cx_manager)
    with pytest.raises(services.NotAllowed, match="own version"):
        services.principle_version_approve(version=version, actor=cx_manager)
    with pytest.raises(services.NotAllowed, match="own version"):
        services.principle_version_reject(version=version, actor=cx_manager, comment="looks fine")


def test_a_manager_of_the_authors_team_cannot_approve(cx_manager):
    colleague = make_user("cora", role="cx_manager", team="cx")
    version = services.principle_version_submit(version=draft(cx_manager), actor=cx_manager)
    with pytest.raises(services.NotAllowed, match="another team"):
        services.principle_version_approve(version=version, actor=colleague)
    version.refresh_from_db()
    assert version.approver is None


def test_agents_cannot_publish_retire_or_roll_back(cx_manager, service_manager, agent):
    version = services.principle_version_submit(version=draft(cx_manager), actor=cx_manager)
    version = services.principle_version_approve(version=version, actor=service_manager)
    with pytest.raises(services.NotAllowed):
        services.principle_version_publish(version=version, actor=agent)
    version = services.principle_version_publish(version=version, actor=cx_manager)
    with pytest.raises(services.NotAllowed):
        services.principle_version_retire(version=version, actor=agent)
    with pytest.raises(services.NotAllowed):
        services.principle_version_rollback(version=version, actor=agent)


def test_a_reviewer_needs_a_team_and_the_cx_manager_role(cx_manager):
    teamless = make_user("tess", role="cx_manager", team=None)
    admin = make_user("adam", role="admin", team="service")
    version = services.principle_version_submit(version=draft(cx_manager), actor=cx_manager)
    for reviewer in (teamless, admin):
        with pytest.raises(services.NotAllowed, match="another team"):
            services.principle_version_approve(version=version, actor=reviewer)


def test_the_approver_of_a_version_cannot_roll_back_to_it(cx_manager, service_manager):
    version = services.principle_version_submit(version=draft(cx_manager), actor=cx_manager)
    version = services.principle_version_approve(version=version, actor=service_manager)
    version = services.principle_version_publish(version=version, actor=cx_manager)
    with pytest.raises(services.NotAllowed, match="You approved"):
        services.principle_version_rollback(version=version, actor=service_manager)
    assert services.principle_version_rollback(version=version, actor=cx_manager).status == "published"
