"""The customer list: the search, its filters and one page of rows, in a number of queries that does not grow
with the page or the population.

Its columns and filters are cxcore's (open tickets, segment) and those other apps contribute in their
AppConfig.ready (the membrane's stage and days in stage, its stage filter), so that cxcore neither imports
them nor names their data: a contribution gives the annotations its cells read in the page's one query,
the template of its cells, and for a filter its choices and the condition of each.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from .customer_search import CustomerSearch, customer_search_parse, search_collation
from .models import Customer
from .schemas import InvalidInput, error

PER_PAGE = 25
# Counting every match of a short prefix over a million customers costs more than the page: the count goes
# as far as the page asked for needs (one match past its end, so the pager knows a next page is there), at
# most this far, and the pager says "more than" beyond.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class ListFilter:
    """A filter of the list: the URL parameter, its label, its choices (key, label) in order, and the
    customers each key keeps."""

    param: str
    label: str
    choices: Callable[[], list[tuple[str, str]]]
    condition: Callable[[str], Q]


@dataclass(frozen=True)
class ListColumns:
    """Columns an app adds to each row: their headings, the annotations their cells read (name ->
    expression, in the page's one query) and the template rendering the cells (<td>s) of `customer`."""

    headings: tuple[str, ...]
    annotations: Callable[[], dict[str, Any]]
    template: str
    order: int


_filters: dict[str, ListFilter] = {}
_columns: dict[str, ListColumns] = {}


def customer_list_filter(list_filter: ListFilter) -> None:
    """Register a filter; registering one of the same parameter again replaces it."""
    _filters[list_filter.param] = list_filter


def customer_list_columns(columns: ListColumns) -> None:
    """Register columns; registering the same template again replaces them."""
    _columns[columns.template] = columns


def segment_keys() -> list[str]:
    """The segments customers hold, each read from the segment index by a walk from one to the next (a
    handful of index probes, not a scan of the customers)."""
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE seg(v) AS (
                    SELECT MIN(segment) FROM {table} WHERE segment <> ''
                    UNION ALL
                    SELECT (SELECT MIN(segment) FROM {table} WHERE segment > seg.v) FROM seg WHERE seg.v IS NOT NULL
                ) SELECT v FROM seg WHERE v IS NOT NULL"""
        )
        return [row[0] for row in cursor.fetchall()]


def _segment_filter() -> ListFilter:
    return ListFilter(
        param="segment",
        label="Segment",
        choices=lambda: [(key, key) for key in segment_keys()],
        condition=lambda key: Q(segment=key),
    )


def list_filters() -> list[ListFilter]:
    """Every filter, the contributed ones (the stage) before the segment."""
    return [*_filters.values(), _segment_filter()]


# A filter's choices (the stages, the segments held) change rarely, and every visit of the list shows them: they
# are kept per process for a minute, and read again at once when the URL names one they do not hold.
_CHOICES_MAX_AGE_S = 60.0
_choices_cache: dict[str, tuple[float, list[tuple[str, str]]]] = {}


def _choices(list_filter: ListFilter, *, fresh: bool) -> list[tuple[str, str]]:
    now = time.monotonic()
    cached = _choices_cache.get(list_filter.param)
    if fresh or cached is None or now - cached[0] >= _CHOICES_MAX_AGE_S:
        cached = (now, list_filter.choices())
        _choices_cache[list_filter.param] = cached
    return cached[1]


@dataclass(frozen=True)
class ChosenFilter:
    param: str
    label: str
    choices: list[tuple[str, str]]
    value: str


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: the search and the chosen filter values (param -> key; "" for any)."""

    search: CustomerSearch = CustomerSearch()
    filters: tuple[ChosenFilter, ...] = ()

    def params(self) -> dict[str, str]:
        """The URL parameters that give this list again (the pager's links keep them)."""
        chosen = {f.param: f.value for f in self.filters if f.value}
        return {"q": self.search.text, **chosen} if self.search.text else chosen

    @property
    def chosen(self) -> dict[str, str]:
        return {f.param: f.value for f in self.filters if f.value}


def list_query_parse(params: Mapping[str, str], *, contact_details: bool = True) -> ListQuery:
    """The list's query from the URL; InvalidInput naming every bad parameter (a search too long, a filter
    value nobody can hold), so that the page says so instead of quietly showing everyone. Without
    `contact_details` (cxcore.privacy) the search leaves email and phone out."""
    errors: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        search = customer_search_parse(params.get("q"), contact_details=contact_details)
    except InvalidInput as exc:
        search = CustomerSearch(contact_details=contact_details)
        problems.append(exc.detail)
        errors.extend(exc.errors)
    chosen = []
    for list_filter in list_filters():
        value = (params.get(list_filter.param) or "").strip()
        choices = _choices(list_filter, fresh=False)
        if value and value not in {key for key, _ in choices}:
            choices = _choices(list_filter, fresh=True)
        if value and value not in {key for key, _ in choices}:
            known = ", ".join(key for key, _ in choices) or "none yet"
            problems.append(f"There is no {list_filter.label.lower()} “{value[:60]}”; the known ones: {known}.")
            errors.append(error(None, list_filter.param, f"unknown {list_filter.label.lower()}"))
            value = ""
        chosen.append(ChosenFilter(list_filter.param, list_filter.label, choices, value))
    query = ListQuery(search=search, filters=tuple(chosen))
    if errors:
        raise ListQueryInvalid(" ".join(problems), errors, query=query)
    return query


class ListQueryInvalid(InvalidInput):
    """The URL named something the list cannot show; `query` is the rest of it, for the page's controls."""

    def __init__(self, detail: str, errors: list[dict[str, Any]], *, query: ListQuery):
        super().__init__(detail, errors)
        self.query = query


class _Found:
    """The ids of the customers the query finds, in the list's order, for the Paginator: it asks for a count
    (up to `cap`, then one more) and for the slice of its page, one query each.

    Without a search the list is in external id order. A search lists what each prefix lookup finds in its
    index's order, lookup by lookup (external id, name, email, phone), a customer once where first found: each
    lookup reads no more than the rows up to the page's end from its index, so a page costs the same whether a
    prefix finds ten customers or a million (an OR of the lookups in external id order read every match).
    """

    def __init__(self, query: ListQuery, *, cap: int):
        self.cap = cap
        self.filtered = Customer.objects.all()
        conditions = {f.param: f.condition for f in list_filters()}
        for chosen in query.filters:
            if chosen.value:
                self.filtered = self.filtered.filter(conditions[chosen.param](chosen.value))
        self.lookups = query.search.lookups()

    def _lookup(self, key: Any, prefix: str) -> QuerySet[Customer]:
        # Named columns: each lookup is read as a subquery, and SQLite names an unaliased column otherwise.
        return self.filtered.annotate(search_key=key, found_id=F("pk")).filter(search_key__startswith=prefix)

    def count(self) -> int:
        if not self.lookups:
            return self.filtered.order_by()[: self.cap + 1].count()
        parts = [
            self._lookup(key, prefix).order_by().values("found_id")[: self.cap + 1] for key, prefix in self.lookups
        ]
        sql, params = _union(parts, "SELECT b.found_id FROM ({}) b", all_rows=False)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) u", params)
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[int]:
        if page.stop <= page.start:
            return []
        if not self.lookups:
            return list(self.filtered.order_by("external_id").values_list("pk", flat=True)[page])
        end = page.stop
        parts = [
            self._lookup(key, prefix).order_by("search_key", "pk").values("found_id", "search_key")[:end]
            for key, prefix in self.lookups
        ]
        ranked = [
            (f"SELECT b.found_id AS id, '{n}' || b.search_key AS rank FROM ({{}}) b", part)
            for n, part in enumerate(parts)
        ]
        sql, params = _union_ranked(ranked)
        collation = search_collation()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM (SELECT id, MIN(rank) AS rank FROM ({sql}) u GROUP BY id) g"
                f' ORDER BY rank COLLATE "{collation}", id LIMIT %s OFFSET %s',
                [*params, page.stop - page.start, page.start],
            )
            return [row[0] for row in cursor.fetchall()]


def _union(parts: list[QuerySet], select: str, *, all_rows: bool) -> tuple[str, list[Any]]:
    return _union_ranked([(select, part) for part in parts], all_rows=all_rows)


def _union_ranked(parts: list[tuple[str, QuerySet]], *, all_rows: bool = True) -> tuple[str, list[Any]]:
    """The queries' rows as one UNION (ALL), each query wrapped as `select` says (a subquery `b`): both
    databases take a LIMIT inside a subquery, neither the same way inside a bare UNION member."""
    sqls, params = [], []
    for select, part in parts:
        sql, part_params = part.query.sql_with_params()
        sqls.append(select.format(sql))
        params.extend(part_params)
    return (" UNION ALL " if all_rows else " UNION ").join(sqls), params


class _CappedPaginator(Paginator):
    """A Paginator over _Found: `capped` when the count stopped at `cap` (the pager then says "more than")."""

    def __init__(self, found: _Found, per_page: int):
        super().__init__(found, per_page)
        self.cap = found.cap

    @property
    def capped(self) -> bool:
        return self.count > self.cap


@dataclass(frozen=True)
class Row:
    customer: Customer
    open_tickets: int | None
    cells: tuple[SafeString, ...] = field(default=())


@dataclass(frozen=True)
class ListPage:
    page: Page
    rows: list[Row]
    headings: tuple[str, ...]
    suggestions: list[tuple[ChosenFilter, str, str]]  # (filter, key, label) the search text names


def customer_list_page(*, query: ListQuery, page: str | int | None, now: dt.datetime) -> ListPage:
    """One page of the customers the query finds (in _Found's order), with every column's values read in the
    same query as the rows: a count, the page's ids, its rows, whatever the page holds."""
    columns = sorted(_columns.values(), key=lambda c: (c.order, c.template))
    annotations: dict[str, Any] = {"list_open_tickets": F("facts__open_tickets")}
    for contributed in columns:
        annotations |= contributed.annotations()
    try:
        asked = max(1, int(page or 1))
    except (TypeError, ValueError):
        asked = 1  # get_page answers the first page for anything but a number
    cap = min(asked * PER_PAGE, COUNT_CAP)
    paged = _CappedPaginator(_Found(query, cap=cap), PER_PAGE).get_page(page)
    ids = list(paged.object_list)
    fields = ("external_id", "name", "email", "phone", "segment", "region")
    found = {c.pk: c for c in Customer.objects.filter(pk__in=ids).only(*fields).annotate(**annotations)}
    rows = [
        Row(
            customer=customer,
            open_tickets=customer.list_open_tickets,
            cells=tuple(render_to_string(c.template, {"customer": customer, "now": now}) for c in columns),
        )
        for customer in (found[pk] for pk in ids if pk in found)
    ]
    headings = tuple(heading for c in columns for heading in c.headings)
    return ListPage(page=paged, rows=rows, headings=headings, suggestions=filter_suggestions(query))


def filter_suggestions(query: ListQuery) -> list[tuple[ChosenFilter, str, str]]:
    """The filter values the search text names (searching "crisis" offers the customers in crisis), unless
    already chosen."""
    text = query.search.text.casefold()
    if not text:
        return []
    return [
        (chosen, key, label)
        for chosen in query.filters
        for key, label in chosen.choices
        if text in (key.casefold(), label.casefold(), key.replace("_", " ").casefold()) and chosen.value != key
    ]
