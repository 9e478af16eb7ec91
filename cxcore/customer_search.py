"""The customer search: which customers a search text finds, by prefix of their external id, name, email or
phone, ignoring case.

The matching rules (the search page's help text says the same):

- the text is trimmed; empty finds everyone; longer than MAX_QUERY characters is refused (InvalidInput);
- external id, name and email match when they start with the text, ignoring case ("ANNA" finds
  "anna.berg@example.com" and "Anna Berg");
- the phone matches when the text holds at least three digits and nothing but digits and the signs people
  write phone numbers with (spaces, dashes, dots, slashes, brackets, a leading "+"): both are compared as
  digits, a leading "+" read as "00", so "+49 30 4242" and "0049-30-4242" find "+49 30 4242420"; digits
  typed without the "+" or "00" find an international number too ("49 30 4242").

Each lookup is a prefix range of its own index on PostgreSQL (migration 0013), read in the index's order, so a
page costs the same whether a prefix finds ten customers or a million (cxcore.customer_list pages through them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate, Lower

from .schemas import InvalidInput, error

MAX_QUERY = 200
MIN_PHONE_DIGITS = 3
_PHONE_SHAPED = re.compile(r"\+?[0-9 ()./-]+")
_NOT_DIGIT = re.compile(r"[^0-9]")


def phone_digits(text: str) -> str:
    """A phone number as the search compares it: a leading "+" read as "00", anything but digits left out.

    Customer.phone_digits is the same rule in SQL for the signs a stored number is written with.
    """
    text = text.strip()
    if text.startswith("+"):
        text = "00" + text[1:]
    return _NOT_DIGIT.sub("", text)


@dataclass(frozen=True)
class CustomerSearch:
    """A search text, checked: `text` as typed (trimmed), `phone` its digits when it reads as a phone number."""

    text: str = ""
    phone: str = ""
    # Whether the searcher may see contact details (cxcore.privacy): without them email and phone are not
    # searched, since a match would reveal them.
    contact_details: bool = True

    @property
    def empty(self) -> bool:
        return not self.text

    def lookups(self) -> list[tuple[Any, str]]:
        """The prefix lookups the search makes, each (the key its index holds, the prefix), in the order their
        matches are listed: external id, name, email, then phone."""
        if not self.text:
            return []
        prefix = self.text.lower()
        fields = ("external_id", "name", "email") if self.contact_details else ("external_id", "name")
        found = [(_collated(Lower(field)), prefix) for field in fields]
        if self.phone:
            found.append((_collated(F("phone_digits")), self.phone))
            if not self.phone.startswith("0"):
                found.append((_collated(F("phone_digits")), "00" + self.phone))
        return found


def _collated(expression) -> Collate:
    """A search key in the collation of its index (migration 0013): bytewise, so that LIKE 'prefix%' is a range
    of the index and the matches come out of it in order, a page read without sorting every match."""
    return Collate(expression, search_collation())


def search_collation() -> str:
    return "C" if connection.vendor == "postgresql" else "BINARY"


def customer_search_parse(text: str | None, *, contact_details: bool = True) -> CustomerSearch:
    """The search as typed, checked; InvalidInput naming `q` when it is too long to be anyone's. Without
    `contact_details` it searches external ids and names only."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY:
        raise InvalidInput(
            f"The search is {len(text):,} characters long; an external id, name, email or phone has at most"
            f" {MAX_QUERY}. Shorten it and search again.",
            [error(None, "q", f"at most {MAX_QUERY} characters")],
        )
    phone = ""
    if contact_details and _PHONE_SHAPED.fullmatch(text):
        digits = phone_digits(text)
        if len(digits) >= MIN_PHONE_DIGITS:
            phone = digits
    return CustomerSearch(text=text, phone=phone, contact_details=contact_details)
