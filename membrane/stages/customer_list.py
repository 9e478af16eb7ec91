"""The membrane's part of cxcore's customer list: each customer's stage and days in it (as of their last
evaluation, the stored stage), and the filter by stage; registered in MembraneConfig.ready."""

from __future__ import annotations

from django.db.models import F, Q

from cxcore.customer_list import ListColumns, ListFilter

from .selectors import stage_definitions

STAGE_COLUMNS = ListColumns(
    headings=("Stage", "Days in stage"),
    annotations=lambda: {"list_stage": F("stage_state__stage"), "list_stage_since": F("stage_state__since")},
    template="membrane/_customer_list_cells.html",
    order=10,
)


def _stage_choices() -> list[tuple[str, str]]:
    return [(row["key"], row["name"] or row["key"]) for row in stage_definitions()]


STAGE_FILTER = ListFilter(
    param="stage",
    label="Stage",
    choices=_stage_choices,
    condition=lambda key: Q(stage_state__stage=key),
)
