"""A customer's timeline query read from a URL's parameters: the same words on the console page and the API.

`kind`, `channel` and `team` each take one value or several (repeated, or separated by commas); `before`
is a cursor the previous page gave (`TimelineCursor.token`); `limit` the page size (API only). A bad
value is an InvalidInput naming each bad parameter, so neither caller shows a page that is not what the
URL asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import QueryDict

from .schemas import FieldError, InvalidInput, error, text, vocabulary_key
from .selectors import TIMELINE_MAX_PAGE, TIMELINE_PAGE, TimelineCursor, TimelineQuery

FILTERS = ("kind", "channel", "team")
PARAMETERS = (*FILTERS, "before", "limit")

_kind = text(40)
_PARSERS = {"kind": _kind, "channel": vocabulary_key("channel"), "team": vocabulary_key("team")}
_MAX_VALUES = 20  # per filter: more is no filter a person means, and an IN list the size of the URL


def _values(params: QueryDict, name: str) -> list[str]:
    return [part.strip() for value in params.getlist(name) for part in value.split(",") if part.strip()]


def timeline_query_parse(params: QueryDict, *, known: Iterable[str] | None = PARAMETERS) -> TimelineQuery:
    """The query `params` ask for; InvalidInput listing every bad parameter.

    `known`: the parameters a caller accepts, any other being an error (None: others are ignored, as on
    a console page whose URL may carry more).
    """
    errors: list[dict[str, Any]] = []
    if known is not None:
        errors += [error(None, name, "Unknown parameter.") for name in params if name not in known]
    filters: dict[str, tuple[str, ...]] = {}
    for name in FILTERS:
        values = _values(params, name)
        if len(values) > _MAX_VALUES:
            errors.append(error(None, name, f"At most {_MAX_VALUES} values."))
            continue
        try:
            filters[name] = tuple(dict.fromkeys(_PARSERS[name](value) for value in values))
        except FieldError as exc:
            errors.append(error(None, name, str(exc)))
    before = None
    if params.get("before"):
        try:
            before = TimelineCursor.from_token(params["before"])
        except ValueError:
            errors.append(error(None, "before", "Not a position this timeline gave: use a `next` cursor as it is."))
    limit = TIMELINE_PAGE
    if "limit" in params:
        raw = params["limit"]
        if not raw.isdigit() or not 1 <= int(raw) <= TIMELINE_MAX_PAGE:
            errors.append(error(None, "limit", f"Must be a whole number from 1 to {TIMELINE_MAX_PAGE}."))
        else:
            limit = int(raw)
    if errors:
        raise InvalidInput("Invalid timeline parameters; nothing was read.", errors)
    return TimelineQuery(
        kinds=filters["kind"], channels=filters["channel"], teams=filters["team"], before=before, limit=limit
    )


def timeline_query_params(query: TimelineQuery, *, before: str | None = None) -> str:
    """The URL query string of `query`'s filters, at the cursor token `before` (None: the newest page)."""
    params = QueryDict(mutable=True)
    for name, values in (("kind", query.kinds), ("channel", query.channels), ("team", query.teams)):
        if values:
            params[name] = ",".join(values)
    if before is not None:
        params["before"] = before
    return params.urlencode()
