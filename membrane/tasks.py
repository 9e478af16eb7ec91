"""Celery tasks of the membrane: each loads or claims its work and calls a service; safe to run twice.

Celery discovers this module; the runs' tasks live with the runs (runs/tasks.py) and keep their names here.
"""

from __future__ import annotations

from celery import shared_task

from membrane.actions.services import actions_sync
from membrane.principles.tasks import impact_preview
from membrane.runs.tasks import reevaluate_all, reevaluate_changed, resume_stalled_runs

__all__ = ["actions_sync_all", "impact_preview", "reevaluate_all", "reevaluate_changed", "resume_stalled_runs"]


@shared_task
def actions_sync_all() -> dict:
    """Everyone's prescribed actions as of now: time alone opens some (more than three days in crisis)."""
    return actions_sync()
