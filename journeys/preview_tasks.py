"""Celery tasks of the campaign previews: each loads its work by id and calls a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .preview_store import preview_run


@shared_task(name="journeys.tasks.campaign_preview")
def campaign_preview(preview_id: int) -> None:
    """A large audience's preview, its progress stored for the page that polls it."""
    preview_run(preview_id=preview_id)
