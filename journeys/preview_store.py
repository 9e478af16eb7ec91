"""A campaign's preview as the API and the page ask for it: computed inline for a small population, by a
Celery task with stored progress for a large one, and kept (CampaignPreview) until the published principles,
the facts (the last evaluation run) or the campaign change."""

from __future__ import annotations

from celery import current_app
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from cxcore.models import CustomerFacts, Signal
from journeys.models import Campaign, CampaignPreview, CampaignStatus
from membrane.decisions.engine import ruleset_get
from membrane.models import EvaluationRun
from membrane.models.impact import PreviewStatus

from .preview import preview_compute
from .verdicts import preview_check

# Above this many customers the preview is computed by a worker while the page polls.
LARGE = 200_000


def preview_stamp(campaign: Campaign) -> str:
    """What a kept preview was computed from: the published principles, the facts (the last evaluation run),
    the signals (the latest: a contact a cap counts, or a signal after the run that the facts at the start
    read), the campaign, and the scheduled campaigns it may lose customers to (their number and latest edit)."""
    run = EvaluationRun.objects.order_by("-pk").values_list("pk", flat=True).first()
    signal = Signal.objects.order_by("-pk").values_list("pk", flat=True).first()
    others = Campaign.objects.filter(status=CampaignStatus.SCHEDULED).exclude(pk=campaign.pk)
    contenders = others.aggregate(n=Count("pk"), edited=Max("updated_at"))
    edited = contenders["edited"].timestamp() if contenders["edited"] else 0
    return f"{ruleset_get().stamp}:{run}:{signal}:{campaign.lock_version}:{contenders['n']}:{edited}"


def preview_json(preview: CampaignPreview | None) -> dict:
    if preview is None:
        return {"status": "none", "progress": 0.0}
    if preview.status == PreviewStatus.READY:
        return {"status": "ready", "progress": 1.0, "computed_at": preview.as_of.isoformat(), **preview.result}
    answer = {"status": preview.status, "progress": preview.progress}
    if preview.status == PreviewStatus.FAILED:
        answer["error"] = preview.error
    return answer


def preview_current(*, campaign: Campaign) -> CampaignPreview | None:
    """The kept preview that still stands, if any."""
    return CampaignPreview.objects.filter(campaign=campaign, stamp=preview_stamp(campaign)).first()


def preview_request(*, campaign: Campaign, large: int = LARGE) -> CampaignPreview:
    """The preview that stands, or a new one: computed now when the population is at most `large`,
    else queued for a worker (status running). PreviewRefused (nothing stored) when it cannot be answered."""
    preview_check(campaign=campaign)
    stamp = preview_stamp(campaign)
    preview, created = CampaignPreview.objects.get_or_create(campaign=campaign, stamp=stamp)
    if not created and preview.status != PreviewStatus.FAILED:
        return preview
    if not created:
        CampaignPreview.objects.filter(pk=preview.pk).update(status=PreviewStatus.RUNNING, progress=0.0, error="")
    if CustomerFacts.objects.count() <= large:
        preview_run(preview_id=preview.pk)
    else:
        # By the task's registered name: the task module (preview_tasks.py) imports this one.
        transaction.on_commit(lambda: current_app.send_task("journeys.tasks.campaign_preview", args=[preview.pk]))
    preview.refresh_from_db()
    return preview


def preview_run(*, preview_id: int) -> None:
    """Computes a stored preview; safe to run twice (one no longer waiting to start is left alone)."""
    claimed = CampaignPreview.objects.filter(pk=preview_id, status=PreviewStatus.RUNNING, progress=0.0).update(
        progress=0.05
    )
    if not claimed:
        return
    preview = CampaignPreview.objects.select_related("campaign__team", "campaign__category", "campaign__channel").get(
        pk=preview_id
    )

    def progress(done: float) -> None:
        # Outside the preview's own transaction, so the page polling sees it.
        CampaignPreview.objects.filter(pk=preview_id, status=PreviewStatus.RUNNING).update(progress=done)

    try:
        result = preview_compute(campaign=preview.campaign, progress=progress)
    except Exception as error:
        CampaignPreview.objects.filter(pk=preview_id).update(status=PreviewStatus.FAILED, error=repr(error))
        raise
    CampaignPreview.objects.filter(pk=preview_id).update(
        status=PreviewStatus.READY, progress=1.0, result=result, as_of=timezone.now()
    )
