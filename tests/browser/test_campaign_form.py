"""A marketer plans a campaign in the browser: a typo in the audience is underlined with its fix, one click
applies it, the live count says how many customers it holds, and the campaign is saved as typed."""

from __future__ import annotations

import random

from cxcore.factories import make_user
from journeys.audiences import audience_count
from journeys.models import Campaign
from membrane.runs.services import stages_evaluate_all
from membrane.tests.stage_helpers import NOW
from membrane.tests.test_actions_set_based_agreement import random_customer


def test_a_marketer_fixes_a_typo_in_the_audience_sees_the_count_and_saves(page, log_in):
    rng = random.Random(16)
    for n in range(12):
        random_customer(rng, f"cf-{n}")
    stages_evaluate_all(as_of=NOW, chunk_size=20)
    expected = audience_count(expression="open_tickets == 0")
    assert expected > 0
    mark = make_user("mark", role="marketer", team="marketing_devices")
    log_in(mark)
    page.goto("/campaigns/")
    page.click("[data-testid=new-campaign]")
    page.watch.wait_for("#id_audience")
    page.fill("#id_name", "New terminals for quiet customers")
    page.select_option("#id_category", "upsell")
    page.select_option("#id_channel", "email")

    page.locator("#id_audience").press_sequentially("open_tikets == 0")

    message = page.locator("[data-testid=condition-message]")
    message.wait_for()
    assert message.inner_text() == "unknown fact 'open_tikets' — did you mean 'open_tickets'?"
    assert page.locator("#condition-mirror mark.cond-error").inner_text() == "open_tikets"
    page.locator("[data-testid=audience-count]", has_text="No count while the audience has errors").wait_for()

    page.click("[data-testid=condition-fix]")

    page.locator("[data-testid=condition-ok]").wait_for()
    assert page.input_value("#id_audience") == "open_tickets == 0"
    assert page.locator("#condition-mirror mark").count() == 0
    count = page.locator("[data-testid=audience-count-value]")
    count.wait_for()
    assert count.inner_text() == str(expected)

    page.click("[data-testid=save]")
    page.wait_for_url("**/campaigns/*/")
    campaign = Campaign.objects.get()
    assert (campaign.name, campaign.audience, campaign.team.key, campaign.created_by) == (
        "New terminals for quiet customers",
        "open_tickets == 0",
        "marketing_devices",
        mark,
    )
    assert page.locator("[data-testid=audience]").inner_text() == "open_tickets == 0"
    page.watch.assert_clean()
