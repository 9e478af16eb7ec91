from __future__ import annotations

import pytest
from django.urls import reverse

from cxcore.factories import make_user
from cxcore.navigation import nav_items

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db

PAGES = [item.name for item in nav_items()]


@pytest.fixture
def admin_user(db):
    return make_user("ada", role="admin", team=None)


@pytest.fixture(params=["cx_manager", "agent", "marketer", "admin_user"])
def console_user(request, db):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_opens_for_every_role_in_the_layout(client, console_user, name):
    """Each section a role's navigation shows opens for it; the others are not in its navigation."""
    client.force_login(console_user)
    shown = [item.name for item in nav_items() if item.shown_to(console_user)]
    if name not in shown:
        html = client.get(reverse("dashboard")).content.decode()
        assert f'href="{reverse(name)}"' not in html
        return

    response = client.get(reverse(name))

    assert response.status_code == 200
    html = response.content.decode()
    assert console_user.role_label in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert html.count('class="active" aria-current="page"') == 1


def test_an_agent_has_no_campaigns_or_conflicts_in_the_navigation(client, agent, marketer):
    client.force_login(agent)
    agent_sections = [item.name for item in nav_items() if item.shown_to(agent)]
    assert "campaigns" not in agent_sections and "conflicts" not in agent_sections
    assert "actions" in agent_sections
    assert client.get(reverse("conflicts")).status_code == 403
    assert {"campaigns", "conflicts"} <= {item.name for item in nav_items() if item.shown_to(marketer)}


def test_the_top_bar_names_the_user_team_and_role(client, marketer):
    client.force_login(marketer)

    html = client.get(reverse("dashboard")).content.decode()

    assert "mark" in html
    assert "Marketing: devices" in html
    assert "Marketer" in html


def test_the_navigation_lights_the_section_of_the_current_page(client, agent):
    client.force_login(agent)

    items = client.get(reverse("customers")).context["nav_items"]

    assert [item["label"] for item in items if item["active"]] == ["Customers"]


def test_pages_carry_no_inline_script(client, cx_manager):
    """The CSP forbids inline script; a page that relied on one would break silently in the browser."""
    client.force_login(cx_manager)

    for name in PAGES:
        html = client.get(reverse(name)).content.decode()
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or 'type="application/json"' in tag, (name, tag)
