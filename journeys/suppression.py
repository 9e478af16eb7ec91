"""Whether the published principles suppress a campaign's contact, as a predicate over the stored facts.

The preview's own decision rule (journeys.preview: consent first when the category needs it, then the
allow/suppress principles in scope in the engine's ranking, the first that holds deciding; caps aside), at
the time the conflicts read the campaign's audience: a customer is suppressed when what decides for them is
the missing consent or a suppressing principle.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Q
from django.db.models.lookups import In

from .models import Campaign
from .preview import CONSENT, PreviewRefused, decider_case, plan_columns, preview_plan


def suppressed_q(*, campaign: Campaign, at: dt.datetime) -> Q | None:
    """The stored facts rows for whom the principles suppress this campaign's contact at `at`; None when the
    decision API does not answer for its start (more than a year ahead), nor then does its preview."""
    try:
        plan = dataclasses.replace(preview_plan(campaign=campaign), at=at)
    except PreviewRefused:
        return None
    suppressing = [CONSENT, *(i for i, p in enumerate(plan.ranked) if p.effect == "suppress")]
    return Q(In(decider_case(plan, plan_columns(plan)), suppressing))
