"""The marketer's whole flow in the browser (issue 16's acceptance).

Mark (marketing_devices) types an audience with a typo, sees the error and its suggestion, fixes it with one
click, sees the live count, saves and schedules the campaign. Its preview runs as a task: the page shows the
progress while no worker has taken it (0%) and once one has (5%): the test does the worker's part, running the
queued task itself, as no worker runs here; the polling page then shows the counts and the chart. The board
shows the conflict with marketing_services' campaign, linked to both previews, and the CSV holds every audience
member with a verdict, decided_by and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import random

from django.utils import timezone
from playwright.sync_api import expect

from cxcore.factories import make_user
from cxcore.models import Category, Channel, Customer, Team
from journeys import preview_store, views_preview
from journeys.audiences import audience_count, audience_members
from journeys.models import Campaign, CampaignPreview, CampaignStatus
from journeys.preview_tasks import campaign_preview
from membrane.runs.services import stages_evaluate_all
from membrane.tests.test_actions_set_based_agreement import random_customer

AUDIENCE = "open_tickets == 0"


class _Broker:
    """Stands in for the broker: keeps what the page queued so the test can run it as a worker would."""

    def __init__(self):
        self.sent: list[tuple[str, list]] = []

    def send_task(self, name: str, args: list) -> None:
        self.sent.append((name, args))


def _phone_width(page, name: str) -> None:
    """At a phone's width the page fits (nothing scrolls sideways); back to the desktop width after."""
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)  # the charts redraw to the new width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.watch.screenshot(name)
    page.set_viewport_size(size)


def test_a_marketer_plans_previews_meets_the_conflict_and_downloads_the_csv(page, log_in, monkeypatch, tmp_path):
    rng = random.Random(1616)
    for n in range(24):
        random_customer(rng, f"mf-{n}")
    # Half may be emailed: marketing needs consent, so the other half is suppressed by it.
    consenting = {f"mf-{n}" for n in range(0, 24, 2)}
    Customer.objects.filter(external_id__in=consenting).update(consent={"email": True})
    stages_evaluate_all(as_of=timezone.now(), chunk_size=20)
    expected_count = audience_count(expression=AUDIENCE)
    assert expected_count > 0

    # The other department's campaign, scheduled over the same days, same channel, everyone.
    start = (timezone.localtime() + dt.timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    services = Campaign.objects.create(
        name="Service plans for everyone",
        team=Team.objects.get(key="marketing_services"),
        category=Category.objects.get(key="service_update"),
        channel=Channel.objects.get(key="email"),
        audience="true",
        starts_at=start + dt.timedelta(days=2),
        ends_at=start + dt.timedelta(days=12),
        touches=1,
        priority=5,
        status=CampaignStatus.SCHEDULED,
    )

    # Every population counts as "large": the page queues a task instead of computing at once.
    monkeypatch.setattr(views_preview, "preview_request", functools.partial(preview_store.preview_request, large=0))
    broker = _Broker()
    monkeypatch.setattr(preview_store, "current_app", broker)

    mark = make_user("mark", role="marketer", team="marketing_devices")
    log_in(mark)
    page.goto("/campaigns/")
    page.click("[data-testid=new-campaign]")
    page.watch.wait_for("#id_audience")
    page.fill("#id_name", "Terminals for quiet customers")
    page.select_option("#id_category", "marketing")
    page.select_option("#id_channel", "email")

    # The typo: the error, the mark under it, the suggestion, no count.
    page.locator("#id_audience").press_sequentially("open_tikets == 0")
    message = page.locator("[data-testid=condition-message]")
    message.wait_for()
    assert message.inner_text() == "unknown fact 'open_tikets' — did you mean 'open_tickets'?"
    assert page.locator("#condition-mirror mark.cond-error").inner_text() == "open_tikets"
    page.locator("[data-testid=audience-count]", has_text="No count while the audience has errors").wait_for()

    # One click fixes it; the live count follows.
    page.click("[data-testid=condition-fix]")
    page.locator("[data-testid=condition-ok]").wait_for()
    assert page.input_value("#id_audience") == AUDIENCE
    count = page.locator("[data-testid=audience-count-value]")
    count.wait_for()
    assert count.inner_text() == str(expected_count)

    page.click("[data-testid=save]")
    page.wait_for_url("**/campaigns/*/")
    devices = Campaign.objects.get(team__key="marketing_devices")
    assert (devices.audience, devices.status, devices.created_by) == (AUDIENCE, CampaignStatus.DRAFT, mark)
    page.click("[data-testid=schedule]")
    expect(page.locator("[data-testid=status]")).to_have_text("scheduled")
    devices.refresh_from_db()
    assert devices.status == CampaignStatus.SCHEDULED

    # The preview: queued, so the page shows its progress and polls.
    page.click("[data-testid=preview-link]")
    page.wait_for_url(f"**/campaigns/{devices.pk}/preview/")
    progress = page.locator("[data-testid=preview-progress]")
    progress.wait_for()
    assert page.locator("[data-testid=preview-counts]").count() == 0
    preview = CampaignPreview.objects.get(campaign=devices)
    assert broker.sent == [("journeys.tasks.campaign_preview", [preview.pk])]
    assert progress.get_attribute("value") == "0"
    # Still running on the next poll: nothing computes it but a worker.
    page.wait_for_timeout(2500)
    assert progress.is_visible() and len(broker.sent) == 1

    # The worker's part, run here: once it has taken the preview (5%) and before it computes, the polling page
    # shows that progress; then it computes and the page shows the result.
    compute = preview_store.preview_compute
    seen_while_running: list[str | None] = []

    def compute_once_the_page_saw_progress(**kwargs):
        expect(progress).to_have_attribute("value", "5")
        seen_while_running.append(progress.get_attribute("value"))
        return compute(**kwargs)

    monkeypatch.setattr(preview_store, "preview_compute", compute_once_the_page_saw_progress)
    campaign_preview(*broker.sent[0][1])
    assert seen_while_running == ["5"]
    counts = page.locator("[data-testid=preview-counts]")
    counts.wait_for(timeout=15_000)
    preview.refresh_from_db()
    result = preview.result
    assert result["audience"] == expected_count == result["allowed"] + result["suppressed"]
    assert result["allowed"] > 0 and result["suppressed"] > 0
    assert page.locator("[data-testid=allowed]").inner_text() == str(result["allowed"])
    assert page.locator("[data-testid=suppressed]").inner_text() == str(result["suppressed"])
    page.watch.wait_for("[data-chart=stacked] .main-svg")
    stage_rows = page.locator("[data-testid=by-stage] tbody tr")
    expect(stage_rows).to_have_count(len(result["by_stage"]))
    # Kept: a reload shows the same result at once, and queues nothing new.
    page.reload()
    page.watch.wait_for("[data-testid=preview-counts]")
    assert page.locator("[data-testid=allowed]").inner_text() == str(result["allowed"])
    assert len(broker.sent) == 1 and CampaignPreview.objects.filter(campaign=devices).count() == 1
    page.watch.wait_for("[data-chart=stacked] .main-svg")
    page.watch.screenshot("marketer-flow-preview")
    _phone_width(page, "marketer-flow-preview-390")

    # The conflict with marketing_services' campaign, linked to both previews.
    page.goto("/conflicts/")
    page.watch.wait_for("[data-testid=heatmap] .main-svg")
    both = (
        page.locator("[data-testid=conflict]")
        .filter(has_text="marketing_devices")
        .filter(has_text="marketing_services")
    )
    expect(both).not_to_have_count(0)
    links = {link.get_attribute("href") for link in both.first.locator("[data-testid=preview-link]").all()}
    assert links == {f"/campaigns/{devices.pk}/preview/", f"/campaigns/{services.pk}/preview/"}
    page.watch.screenshot("marketer-flow-conflicts")
    _phone_width(page, "marketer-flow-conflicts-390")
    both.first.locator("[data-testid=preview-link]", has_text=devices.name).click()
    page.wait_for_url(f"**/campaigns/{devices.pk}/preview/")

    # The CSV: every audience member once, with a verdict, what decided and why.
    with page.expect_download() as download_info:
        page.click("[data-testid=csv]")
    download = download_info.value
    assert download.suggested_filename == f"campaign-{devices.pk}-preview.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["customer", "verdict", "decided_by", "reason"]
    members = rows[1:]
    audience = set(
        audience_members(expression=AUDIENCE, at=devices.starts_at).values_list("customer__external_id", flat=True)
    )
    assert {row[0] for row in members} == audience and len(members) == len(audience) == expected_count
    for customer, verdict, decided_by, reason in members:
        assert verdict in ("allow", "suppress"), customer
        assert reason.startswith("Allowed" if verdict == "allow" else "Suppressed"), (customer, reason)
        # Only an allow that no principle restricted names nothing as deciding.
        assert decided_by or (verdict == "allow" and reason.startswith("Allowed: no published principle")), customer
    assert sum(row[1] == "suppress" for row in members) == result["suppressed"]
    by_consent = {(row[0] in consenting, row[2] == "consent") for row in members}
    assert by_consent == {(True, False), (False, True)}, "without consent, and only then, consent decides"
    page.watch.assert_clean()
