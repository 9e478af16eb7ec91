"""Two managers editing one draft: the second save is refused with who saved, when and what they changed;
nothing of it is stored, the input stays in the form, and "save mine over theirs" is a choice, never silent."""

from __future__ import annotations

import time_machine
from django.test import Client

from cxcore.factories import make_user
from membrane.tests.principle_editor_support import edit_post
from membrane.tests.principles_support import draft


def test_the_second_save_is_refused_naming_who_when_and_what(cx_manager):
    cx_manager.first_name, cx_manager.last_name = "Carla", "Conti"
    cx_manager.save()
    cora = make_user("cora", role="cx_manager", team="cx")
    version = draft(cx_manager, slug="quiet")
    carla_client, cora_client = Client(), Client()
    carla_client.force_login(cx_manager)
    cora_client.force_login(cora)
    # Both open the draft as it is now.
    carla_form = edit_post(version, priority="150", condition='stage == "crisis" and open_tickets > 0')
    cora_form = edit_post(version, title="Cora's title", change_note="cora was here", condition="open_tickets > 5")

    with time_machine.travel("2026-03-02 14:05:00+00:00", tick=False):
        assert carla_client.post("/principles/quiet/v1/edit/", carla_form).status_code == 302
    response = cora_client.post("/principles/quiet/v1/edit/", cora_form)

    assert response.status_code == 409
    page = response.content.decode()
    assert "Carla Conti saved this draft at 14:05 on 2 Mar 2026" in page
    changes = page[page.index('data-testid="conflict-changes"') :]
    changes = changes[: changes.index("</table>")]
    # What was loaded, what Carla stored, what Cora typed.
    assert 'priority</th><td class="mono">100</td><td class="mono">150</td><td class="mono">100</td>' in changes
    assert (
        'condition</th><td class="mono">stage == &quot;crisis&quot;</td>'
        '<td class="mono">stage == &quot;crisis&quot; and open_tickets &gt; 0</td>'
        '<td class="mono">open_tickets &gt; 5</td>'
    ) in changes
    assert "title" not in changes  # Carla did not change it
    # Nothing of Cora's is stored; her input is still in the form.
    version.refresh_from_db()
    version.principle.refresh_from_db()
    assert (version.priority, version.condition, version.change_note) == (
        150,
        'stage == "crisis" and open_tickets > 0',
        "",
    )
    assert version.principle.title == "No marketing during a crisis"
    assert "open_tickets &gt; 5</textarea>" in page and "Cora&#x27;s title" in page
    assert 'name="overwrite" value="2"' in page

    # Having seen what Carla changed, Cora may save hers over it: an informed choice, at the lock she saw.
    response = cora_client.post("/principles/quiet/v1/edit/", {**cora_form, "overwrite": "2"})

    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.condition, version.lock_version) == ("open_tickets > 5", 3)


def test_overwriting_needs_the_lock_seen_in_the_conflict(cx_manager):
    """A third save in between makes "save mine over theirs" a conflict again, with the newer changes."""
    cora = make_user("cora", role="cx_manager", team="cx")
    version = draft(cx_manager, slug="quiet")
    carla_client, cora_client = Client(), Client()
    carla_client.force_login(cx_manager)
    cora_client.force_login(cora)
    cora_form = edit_post(version, condition="open_tickets > 5")
    assert carla_client.post("/principles/quiet/v1/edit/", edit_post(version, priority="150")).status_code == 302
    version.refresh_from_db()
    assert carla_client.post("/principles/quiet/v1/edit/", edit_post(version, priority="160")).status_code == 302

    response = cora_client.post("/principles/quiet/v1/edit/", {**cora_form, "overwrite": "2"})

    assert response.status_code == 409
    version.refresh_from_db()
    assert (version.condition, version.priority) == ('stage == "crisis"', 160)
