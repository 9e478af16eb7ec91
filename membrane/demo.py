"""The membrane's part of the demo: every demo customer evaluated once the demo is loaded, so the console opens
on stored stages and facts (the principles' live counts, impact and stage previews read those), not on a
population waiting for its first scheduled run; the agents' queue holds the tasks the principles prescribe, not
nothing until the hourly sync."""

from __future__ import annotations

import datetime as dt

from .actions.services import actions_sync
from .runs.services import stages_evaluate_all, stages_evaluate_changed


def demo_loaded_receiver(sender, *, now: dt.datetime, **kwargs) -> str:
    """cxcore's demo_loaded hook: the customers' histories brought up to `now` in event time (the queued
    changes taken, so the worker finds none left), then a full run storing everyone's facts and stages, then
    the prescribed tasks opened, as the worker does after a full run."""
    changed = stages_evaluate_changed(at=now)
    stages_evaluate_all(as_of=now)
    tasks = actions_sync(at=now)
    return (
        f"Evaluated {changed.customers:,} customers' histories ({changed.transitions:,} stage transitions),"
        f" stored everyone's facts and opened {tasks['opened']:,} prescribed tasks."
    )
