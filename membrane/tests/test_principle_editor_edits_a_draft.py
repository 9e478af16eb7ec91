"""Editing a draft in the editor: the save stores the draft and its principle's title and rationale
together; a version that left draft offers a new draft instead."""

from __future__ import annotations

from membrane.models.principles import PrincipleAudit
from membrane.principles import services
from membrane.tests.principle_editor_support import edit_post, example_row
from membrane.tests.principles_support import draft


def test_a_save_stores_the_draft_and_the_principles_text(client, cx_manager):
    version = draft(cx_manager, slug="quiet")
    client.force_login(cx_manager)
    page = client.get("/principles/quiet/v1/edit/").content.decode()
    assert 'name="lock_version" value="1"' in page and "crisis suppresses marketing" in page

    response = client.post(
        "/principles/quiet/v1/edit/",
        edit_post(
            version,
            title="Quiet in a crisis",
            rationale="Be **kind**.",
            condition='stage == "crisis" and open_tickets > 0',
            priority="150",
            change_note="only with a ticket open",
            rows=[example_row("crisis with a ticket", 'stage = "crisis", open_tickets = 1', "match")],
        ),
    )

    assert response.status_code == 302 and response["Location"] == "/principles/quiet/v1/edit/"
    version.refresh_from_db()
    version.principle.refresh_from_db()
    assert (version.principle.title, version.principle.rationale) == ("Quiet in a crisis", "Be **kind**.")
    assert (version.condition, version.priority, version.lock_version) == (
        'stage == "crisis" and open_tickets > 0',
        150,
        2,
    )
    assert version.examples == [
        {"name": "crisis with a ticket", "facts": {"stage": "crisis", "open_tickets": 1}, "expect_match": True}
    ]
    assert PrincipleAudit.objects.filter(version=version, action="edit", actor=cx_manager).exists()


def test_a_refused_save_leaves_the_title_as_it_was(client, cx_manager):
    version = draft(cx_manager, slug="quiet", title="Quiet")
    client.force_login(cx_manager)

    response = client.post(
        "/principles/quiet/v1/edit/", edit_post(version, title="Renamed", condition="open_tickets >")
    )

    assert response.status_code == 400
    assert "expected a value after" in response.content.decode()
    version.refresh_from_db()
    version.principle.refresh_from_db()
    assert (version.principle.title, version.condition, version.lock_version) == ("Quiet", 'stage == "crisis"', 1)


def test_a_version_that_left_draft_is_shown_read_only_with_edit_as_a_new_draft(client, cx_manager):
    version = draft(cx_manager, slug="quiet")
    services.principle_version_submit(version=version, actor=cx_manager)
    client.force_login(cx_manager)

    page = client.get("/principles/quiet/v1/edit/").content.decode()
    assert 'data-testid="not-a-draft"' in page and '<fieldset class="editor-fields" disabled>' in page

    response = client.post("/principles/quiet/v1/edit/", {"action": "new_draft"})

    assert response.status_code == 302 and response["Location"] == "/principles/quiet/v2/edit/"
    copy = version.principle.versions.get(number=2)
    assert (copy.status, copy.condition, copy.author) == ("draft", version.condition, cx_manager)


def test_saving_a_version_submitted_meanwhile_is_refused_and_keeps_the_input(client, cx_manager):
    version = draft(cx_manager, slug="quiet")
    body = edit_post(version, condition="open_tickets > 3")
    services.principle_version_submit(version=version, actor=cx_manager)
    client.force_login(cx_manager)

    response = client.post("/principles/quiet/v1/edit/", body)

    assert response.status_code == 409
    page = response.content.decode()
    assert 'data-testid="refusal"' in page and "never changes" in page and "Edit as a new draft" in page
    assert "open_tickets &gt; 3</textarea>" in page
    version.refresh_from_db()
    assert version.condition == 'stage == "crisis"'
