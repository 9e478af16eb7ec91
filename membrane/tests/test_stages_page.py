"""The stages page: definitions with customers now, the published rules in order, older versions; read-only."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory
from membrane.models import CustomerStage, StageDefinition

from .stage_helpers import publish_rules


def test_the_page_shows_stages_rules_and_versions(client, agent):
    now = timezone.now()
    for _ in range(3):
        CustomerStage.objects.create(customer=CustomerFactory(), stage="crisis", since=now, evaluated_through=now)
    publish_rules([("crisis", "open_high_severity_tickets > 0"), ("active", "days_since_last_purchase <= 180")])
    client.force_login(agent)

    response = client.get(reverse("stages"))

    html = response.content.decode()
    assert response.status_code == 200
    crisis = next(s for s in response.context["stages"] if s["key"] == "crisis")
    assert crisis["customers"] == 3
    assert crisis["color"] == StageDefinition.objects.get(key="crisis").color
    published = response.context["published"]
    assert [(r.position, r.stage) for r in published.rules.all()] == [(1, "crisis"), (2, "active")]
    assert html.index("open_high_severity_tickets &gt; 0") < html.index("days_since_last_purchase &lt;= 180")
    assert 'data-testid="default-stage"' in html
    assert [r.number for r in response.context["others"]] == [1]  # the seeded set, superseded
    assert "<form" not in html.split('class="content"', 1)[1]  # read-only


def test_a_stage_colour_that_is_not_a_colour_is_not_written_into_the_page(client, agent):
    StageDefinition.objects.filter(key="crisis").update(color='red" onclick="x()')
    client.force_login(agent)

    html = client.get(reverse("stages")).content.decode()

    assert "onclick" not in html


def test_queries_do_not_grow_with_customers_or_rules(client, cx_manager):
    client.force_login(cx_manager)
    now = timezone.now()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("stages")).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(10):
        CustomerStage.objects.create(customer=CustomerFactory(), stage="active", since=now, evaluated_through=now)
    publish_rules([(stage, "tenure_days > 1") for stage in ["active", "loyal", "crisis", "dormant"]])
    publish_rules([("active", "tenure_days > 2")])
    assert queries() == few <= 10


def test_outsiders_get_403_and_strangers_log_in(client, outsider):
    assert client.get(reverse("stages")).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("stages")).status_code == 403
