"""The editor's live count: how many customers the condition as typed holds for now."""

from __future__ import annotations

import random

from cxcore.models import Customer
from membrane.runs.services import stages_evaluate_all
from membrane.tests.principles_support import draft

from .stage_helpers import NOW
from .test_actions_set_based_agreement import random_customer

HTMX = {"HX-Request": "true"}


def _count(client, condition: str) -> str:
    response = client.post("/principles/editor/count/", {"condition": condition}, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_count_follows_the_condition_as_typed(client, cx_manager):
    rng = random.Random(4)
    for n in range(12):
        random_customer(rng, f"lc-{n}")
    stages_evaluate_all(as_of=NOW, chunk_size=5)
    evaluated = Customer.objects.count()
    client.force_login(cx_manager)

    assert f"Holds for <strong>{evaluated}</strong> customers now" in _count(client, "true")
    assert "Holds for <strong>0</strong> customers now" in _count(client, "false")
    assert "No count while the condition has errors." in _count(client, "open_ticket > 0")
    assert "Holds for" not in _count(client, "  ")


def test_a_version_shown_read_only_loads_its_count_by_get(client, cx_manager):
    version = draft(cx_manager, slug="quiet", condition="true")
    version.status = "retired"
    version.save(update_fields=["status"])
    client.force_login(cx_manager)

    page = client.get("/principles/quiet/v1/edit/").content.decode()

    assert 'hx-get="/principles/editor/count/?condition=true"' in page
    assert (
        "Holds for <strong>0</strong> customers now"
        in client.get("/principles/editor/count/", {"condition": "true"}, headers=HTMX).content.decode()
    )
