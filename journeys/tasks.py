"""Celery tasks of the journeys, where Celery discovers them; each lives with its feature."""

from __future__ import annotations

from journeys.preview_tasks import campaign_preview

__all__ = ["campaign_preview"]
