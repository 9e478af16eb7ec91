"""A campaign's audience list: customers named by their external ids, pasted or uploaded (DESIGN.md 8).

A campaign's audience is its expression, or, when it has a list, the listed customers the expression holds for
(`true` keeps the whole list): one rule, so every reader (preview, CSV, memberships, conflicts, the 360 view)
ANDs the same two predicates (journeys.audiences.campaign_audience_q).

A list is checked and stored set-based, up to a million ids: the ids are staged in a temporary table (COPY on
PostgreSQL), the unknown ones found by one anti-join with the customers, and the members written by one
INSERT ... SELECT of that join into CampaignListMember, keyed (campaign, customer). Readers join that table;
no statement ever carries the ids as literals.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from cxcore.models import Customer

from .models import Campaign, CampaignListMember

MAX_IDS = 1_000_000
SHOWN = 5  # unknown ids named in the message
STAGE = "journeys_list_stage"
_CUSTOMERS = Customer._meta.db_table
_MEMBERS = CampaignListMember._meta.db_table
# An id at its longest, as a JSON body carries it: quoted, then a comma and a space.
_ID_IN_JSON = Customer._meta.get_field("external_id").max_length + 4


def list_body_limit() -> int | None:
    """The largest body the campaigns API reads: a list of MAX_IDS ids at their longest, beside the campaign's
    other fields (within the site's limit for any body, DATA_UPLOAD_MAX_MEMORY_SIZE). None: no limit."""
    site = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return None if site is None else site + MAX_IDS * _ID_IN_JSON


# Header cells an uploaded CSV may name its id column with.
ID_HEADERS = ("customer", "external_id", "customer_id", "id")


def list_ids_parse(text: str) -> list[str]:
    """The ids of a pasted list: one per line or comma separated, blanks dropped, each once, in order."""
    cells = (cell.strip() for line in text.splitlines() for cell in line.split(","))
    return list(dict.fromkeys(cell for cell in cells if cell))


def list_ids_from_csv(data: bytes) -> list[str] | str:
    """The ids of an uploaded CSV file: the column headed customer / external_id / id, else the first column; a
    first row that is such a header is skipped. The message saying why not for a file that is no CSV text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "The file is not UTF-8 text: upload a CSV file of customer ids."
    rows = csv.reader(io.StringIO(text))
    first = next(rows, None)
    if first is None:
        return []
    headers = [cell.strip().lower() for cell in first]
    column = next((headers.index(name) for name in ID_HEADERS if name in headers), None)
    body: Iterable[list[str]] = rows if column is not None else [first, *rows]
    column = column or 0
    cells = (row[column].strip() for row in body if len(row) > column)
    return list(dict.fromkeys(cell for cell in cells if cell))


def list_ids_check(value: Any) -> list[str] | str:
    """An API's (or a form's) list as the ids, each once; the message saying why not. [] removes a list."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "Must be a list of customer external ids (strings); [] or null for no list."
    ids = list(dict.fromkeys(item.strip() for item in value if item.strip()))
    if len(ids) > MAX_IDS:
        return f"At most {MAX_IDS:,} customers in a list; this one names {len(ids):,}."
    return ids


@dataclass(frozen=True)
class Staged:
    """A list staged for checking and storing: how many ids, and the unknown ones (count, the first few)."""

    size: int
    unknown: int
    first_unknown: tuple[str, ...]

    @property
    def problem(self) -> str | None:
        if not self.unknown:
            return None
        more = self.unknown - len(self.first_unknown)
        some = ", ".join(self.first_unknown) + (f" and {more:,} more" if more else "")
        verb = "is" if self.unknown == 1 else "are"
        return f"{self.unknown:,} of the {self.size:,} ids {verb} no known customer's: {some}."

    @staticmethod
    def known_ids() -> RawSQL:
        """The staged ids' customers, as a subquery (inside `list_staged`)."""
        return RawSQL(f"SELECT c.id FROM {STAGE} s JOIN {_CUSTOMERS} c ON c.external_id = s.external_id", [])


def _stage(cursor, ids: list[str]) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} (n integer, external_id text)")
        with cursor.copy(f"COPY {STAGE} (n, external_id) FROM STDIN") as copy:
            for n, external_id in enumerate(ids):
                copy.write_row((n, external_id))
        cursor.execute(f"ANALYZE {STAGE}")
    else:
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} (n integer, external_id text)")
        cursor.executemany(f"INSERT INTO {STAGE} (n, external_id) VALUES (%s, %s)", list(enumerate(ids)))


@contextmanager
def list_staged(ids: list[str]) -> Iterator[Staged]:
    """Inside: the ids in a temporary table, checked against the customers. Its own transaction (a savepoint
    inside another): an error inside rolls the table back with it; done, it is dropped."""
    with transaction.atomic(), connection.cursor() as cursor:
        _stage(cursor, ids)
        unknown = f"FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM {_CUSTOMERS} c WHERE c.external_id = s.external_id)"
        cursor.execute(f"SELECT count(*) {unknown}")
        count = cursor.fetchone()[0]
        first: tuple[str, ...] = ()
        if count:
            cursor.execute(f"SELECT s.external_id {unknown} ORDER BY s.n LIMIT {SHOWN}")
            first = tuple(row[0] for row in cursor.fetchall())
        yield Staged(size=len(ids), unknown=count, first_unknown=first)
        cursor.execute(f"DROP TABLE {STAGE}")


def list_members_write(*, campaign: Campaign, staged: Staged | None) -> None:
    """The campaign's list replaced by the staged one (inside `list_staged`), or removed (None)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_MEMBERS} WHERE campaign_id = %s", [campaign.pk])
        if staged is not None:
            cursor.execute(
                f"INSERT INTO {_MEMBERS} (campaign_id, customer_id) "
                f"SELECT %s, c.id FROM {STAGE} s JOIN {_CUSTOMERS} c ON c.external_id = s.external_id",
                [campaign.pk],
            )


def list_q(campaign: Campaign, field: str = "customer_id") -> Q:
    """The campaign's listed customers, as a filter on any queryset whose `field` is a customer id: a
    correlated EXISTS the database runs as a semi-join with the list's table."""
    members = CampaignListMember.objects.filter(campaign_id=campaign.pk, customer_id=OuterRef(field))
    return Q(Exists(members))


def lists_of(*, customer_id: int) -> frozenset[int]:
    """The campaigns whose list names the customer."""
    found = CampaignListMember.objects.filter(customer_id=customer_id).values_list("campaign_id", flat=True)
    return frozenset(found)
