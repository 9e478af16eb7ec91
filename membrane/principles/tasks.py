"""Celery tasks of the principles: each loads its work by id and calls a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .impact_previews import impact_preview_compute


@shared_task(name="membrane.tasks.impact_preview_compute")
def impact_preview(preview_id: int) -> None:
    """A large population's impact preview, its progress stored for the page that polls it."""
    impact_preview_compute(preview_id=preview_id)
