"""The editor's New principle page: a CX manager's form becomes a principle with its first draft; bad input
is named next to its field and stores nothing."""

from __future__ import annotations

from membrane.models.principles import Principle, PrincipleAudit, PrincipleVersion
from membrane.tests.principle_editor_support import editor_post, example_row


def test_a_manager_creates_a_principle_with_its_draft(client, cx_manager):
    client.force_login(cx_manager)
    assert client.get("/principles/new/").status_code == 200

    response = client.post(
        "/principles/new/",
        editor_post(
            slug="quiet-open-tickets",
            categories=["marketing", "sales_offer"],
            channels=["email"],
            effect="cap",
            **{"params-n": "2", "params-days": "7"},
            change_note="first cut",
            rows=[
                example_row("open ticket", "open_tickets = 2, stage = crisis", "match", category="marketing"),
                example_row("third contact", "open_tickets = 1", "suppress", category="marketing", contacts="2"),
            ],
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == "/principles/quiet-open-tickets/v1/edit/"
    principle = Principle.objects.get(slug="quiet-open-tickets")
    assert (principle.title, principle.team.key) == ("Quiet while tickets are open", "cx")
    assert principle.rationale == "Do not *sell* to someone waiting for help."
    version = principle.versions.get()
    assert (version.number, version.status, version.author) == (1, "draft", cx_manager)
    assert version.categories == ["marketing", "sales_offer"] and version.channels == ["email"] and version.teams == []
    assert (version.condition, version.effect, version.params) == ("open_tickets > 0", "cap", {"n": 2, "days": 7})
    assert (version.priority, version.change_note) == (100, "first cut")
    assert version.examples == [
        {
            "name": "open ticket",
            "facts": {"open_tickets": 2, "stage": "crisis"},
            "interaction": {"category": "marketing"},
            "expect_match": True,
        },
        {
            "name": "third contact",
            "facts": {"open_tickets": 1},
            "interaction": {"category": "marketing"},
            "expect_verdict": "suppress",
            "contacts": 2,
        },
    ]
    assert PrincipleAudit.objects.filter(version=version, action="create", actor=cx_manager).exists()


def _nothing_stored(client, body) -> str:
    principles, versions = Principle.objects.count(), PrincipleVersion.objects.count()
    response = client.post("/principles/new/", body)
    assert response.status_code == 400
    assert (Principle.objects.count(), PrincipleVersion.objects.count()) == (principles, versions)
    return response.content.decode()


def test_a_condition_with_a_typo_is_named_with_its_fix_and_stores_nothing(client, cx_manager):
    client.force_login(cx_manager)

    page = _nothing_stored(client, editor_post(slug="typo", condition="open_ticket > 0"))

    assert "unknown fact &#x27;open_ticket&#x27; — did you mean &#x27;open_tickets&#x27;?" in page
    assert '<mark class="cond-error">open_ticket</mark> &gt; 0' in page
    assert 'data-replacement="open_tickets"' in page
    # What was typed stays in the form.
    assert "open_ticket &gt; 0</textarea>" in page and 'value="typo"' in page


def test_each_bad_field_is_named_next_to_it(client, cx_manager):
    client.force_login(cx_manager)
    body = editor_post(
        slug="Not a slug!",
        title="",
        effect="cap",
        priority="high",
        **{"params-n": "0", "params-days": "7"},
        rows=[example_row("odd facts", "open_tickets 2")],
    )

    page = _nothing_stored(client, body)

    assert page.count('class="field-error"') == 4
    assert "This field is required." in page  # the title
    assert "Enter a valid “slug”" in page
    assert "Enter a whole number." in page  # the priority
    assert "Must be between 1 and" in page  # the cap's n, by the services' rule though the form was already wrong
    assert "badge-example-invalid" in page and "cannot read" in page  # the example's facts, in its row


def test_rules_of_the_services_come_back_next_to_their_fields(client, cx_manager):
    client.force_login(cx_manager)
    body = editor_post(
        slug="cap-too-small",
        effect="cap",
        **{"params-n": "0", "params-days": "7"},
        rows=[example_row("unknown fact", "open_ticket = 2")],
    )

    page = _nothing_stored(client, body)

    assert "Must be between 1 and" in page
    assert "unknown fact &#x27;open_ticket&#x27;" in page


def test_a_prescription_with_a_scope_is_refused_by_the_services_rule(client, cx_manager):
    client.force_login(cx_manager)
    body = editor_post(
        slug="prescribe-scoped",
        effect="prescribe",
        channels=["email"],
        **{"params-action": "agent_contact", "params-team": "service", "params-due_hours": "24"},
    )

    page = _nothing_stored(client, body)

    assert 'data-testid="scope-error"' in page and "leave the scope empty" in page


def test_a_slug_taken_or_naming_a_console_page_is_refused(client, cx_manager):
    client.force_login(cx_manager)

    assert "already exists" in _nothing_stored(client, editor_post(slug="no-offers-in-crisis"))
    assert "names a page of the console" in _nothing_stored(client, editor_post(slug="new"))
