"""A version's impact preview as the API and the page ask for it: inline for a small population, by a Celery
task with stored progress (ImpactPreview) for a large one."""

from __future__ import annotations

from celery import current_app
from django.db import transaction

from cxcore.models import CustomerFacts
from membrane.decisions.engine import ruleset_get
from membrane.models.impact import ImpactPreview, PreviewStatus
from membrane.models.principles import PrincipleVersion

from .impact import version_impact

# Above this many customers the preview is computed by a worker while the page polls.
LARGE = 200_000


def _stamp(version: PrincipleVersion) -> str:
    return f"{ruleset_get().stamp}:{version.lock_version}"


def preview_json(preview: ImpactPreview) -> dict:
    if preview.status == PreviewStatus.READY:
        return {"status": "ready", "progress": 1.0, **preview.result}
    answer = {"status": preview.status, "progress": preview.progress}
    if preview.status == PreviewStatus.FAILED:
        answer["error"] = preview.error
    return answer


def impact_preview_request(*, version: PrincipleVersion, retire: bool = False) -> dict:
    """The impact (status "ready"), or a preview under way ("running", with its progress) that a task computes."""
    if CustomerFacts.objects.count() <= LARGE:
        return {"status": "ready", "progress": 1.0, **version_impact(version=version, retire=retire)}
    preview, created = ImpactPreview.objects.get_or_create(version=version, retire=retire, stamp=_stamp(version))
    if created:
        # By the task's registered name: the task module (principles/tasks.py) imports this one.
        transaction.on_commit(lambda: _queue(preview.pk))
    return preview_json(preview)


def _queue(preview_id: int) -> None:
    current_app.send_task("membrane.tasks.impact_preview_compute", args=[preview_id])


def impact_preview_compute(*, preview_id: int) -> None:
    """Computes a stored preview; safe to run twice (a preview no longer running is left alone)."""
    claimed = ImpactPreview.objects.filter(pk=preview_id, status=PreviewStatus.RUNNING, progress=0.0).update(
        progress=0.1
    )
    if not claimed:
        return
    preview = ImpactPreview.objects.select_related("version__principle").get(pk=preview_id)
    try:
        result = version_impact(version=preview.version, retire=preview.retire)
    except Exception as error:
        ImpactPreview.objects.filter(pk=preview_id).update(status=PreviewStatus.FAILED, error=repr(error))
        raise
    ImpactPreview.objects.filter(pk=preview_id).update(status=PreviewStatus.READY, progress=1.0, result=result)
