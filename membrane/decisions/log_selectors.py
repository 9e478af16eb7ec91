"""Reads of the decision log for the console: its filter from the URL, the filtered log, one decision, the CSV rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.utils.functional import cached_property

from cxcore.models import Customer
from cxcore.selectors import vocabulary_has_key
from membrane.models.decisions import DecisionLog
from membrane.models.principles import Principle

VERDICTS = ("allow", "suppress")
# The log grows by every decision asked; counting all of a filter's rows would read them all on each page
# view. Past this many the pager says "more than" and a narrower filter finds the rest.
COUNT_CAP = 10_000
CSV_COLUMNS = (
    "decision_id",
    "decided_at",
    "at",
    "customer",
    "team",
    "category",
    "channel",
    "verdict",
    "decided_by",
    "principle",
    "version",
    "stage",
    "reason",
    "retry_after",
)


@dataclass(frozen=True)
class LogFilter:
    """Each field a key the log is filtered by, or "" for any."""

    team: str = ""
    category: str = ""
    channel: str = ""
    verdict: str = ""
    principle: str = ""  # the slug of the principle that decided
    customer: str = ""  # an external id

    def as_query(self) -> dict[str, str]:
        """The filter as URL parameters, the empty ones left out."""
        return {name: value for name, value in asdict(self).items() if value}


def log_filter_read(data) -> tuple[LogFilter, dict[str, str]]:
    """The log's filter from the URL, and, by parameter, what names nothing known ("unknown team zzz").

    A filter that names an unknown key is never dropped silently: the page says so and shows no row.
    """
    values = {name: (data.get(name) or "").strip()[:200] for name in LogFilter.__dataclass_fields__}
    errors: dict[str, str] = {}
    for name in ("team", "category", "channel"):
        if values[name] and not vocabulary_has_key(vocabulary=name, key=values[name]):
            errors[name] = f"unknown {name} {values[name]}"
    if values["verdict"] and values["verdict"] not in VERDICTS:
        errors["verdict"] = f"unknown verdict {values['verdict']} (allow or suppress)"
    if values["principle"] and not Principle.objects.filter(slug=values["principle"]).exists():
        errors["principle"] = f"unknown principle {values['principle']}"
    if values["customer"] and not Customer.objects.filter(external_id=values["customer"]).exists():
        errors["customer"] = f"unknown customer {values['customer']}"
    return LogFilter(**values), errors


def decision_log_filtered(log_filter: LogFilter) -> QuerySet:
    """The log's rows the filter keeps, newest first (its (decided_at) and (customer, at) indexes serve this)."""
    rows = DecisionLog.objects.select_related("customer", "principle").order_by("-decided_at", "-id")
    for name in ("team", "category", "channel", "verdict"):
        if value := getattr(log_filter, name):
            rows = rows.filter(**{name: value})
    if log_filter.principle:
        rows = rows.filter(principle__slug=log_filter.principle)
    if log_filter.customer:
        rows = rows.filter(customer__external_id=log_filter.customer)
    return rows


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows; `capped` (the pager's "more than") when there are more."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def decision_get(decision_id) -> DecisionLog:
    """One logged decision by its decision_id; 404 if none."""
    try:
        decision = DecisionLog.objects.select_related("customer", "principle").get(decision_id=decision_id)
    except (DecisionLog.DoesNotExist, ValueError):
        raise Http404("No such decision.") from None
    return decision


def decision_matched(decision: DecisionLog) -> list[dict[str, Any]]:
    """Every principle the decision found holding, as logged, with its title and whether it decided."""
    slugs = [entry.get("principle") for entry in decision.matched]
    titles = dict(Principle.objects.filter(slug__in=slugs).values_list("slug", "title"))
    deciding = decision.principle.slug if decision.principle_id else None
    return [
        {
            **entry,
            "title": titles.get(entry.get("principle"), ""),
            "decided": entry.get("principle") == deciding and entry.get("version") == decision.version_number,
        }
        for entry in decision.matched
    ]


def decision_log_csv_rows(rows: QuerySet) -> Iterator[tuple]:
    """The filtered log as CSV rows, read in chunks so that a large export never sits in memory."""
    yield CSV_COLUMNS
    values = rows.values_list(
        "decision_id",
        "decided_at",
        "at",
        "customer__external_id",
        "team",
        "category",
        "channel",
        "verdict",
        "decided_by",
        "principle__slug",
        "version_number",
        "stage",
        "reason",
        "retry_after",
    )
    for row in values.iterator(chunk_size=2000):
        yield tuple(_cell(value) for value in row)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        # A customer id or reason read as a formula by a spreadsheet would run it: shown as text instead.
        return "'" + value
    return value


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
