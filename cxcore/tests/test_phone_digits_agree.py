"""The phone as the database keeps it for the search (Customer.phone_digits, in SQL) and as the search reads a
typed number (customer_search.phone_digits, in Python) are one rule: for any number written with digits and
the signs people use, both give the same digits, so a number typed as stored always finds itself."""

from __future__ import annotations

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.customer_list import customer_list_page, list_query_parse
from cxcore.customer_search import customer_search_parse, phone_digits
from cxcore.factories import CustomerFactory
from cxcore.models import Customer

pytestmark = pytest.mark.django_db

written = st.builds(
    lambda plus, body: ("+" if plus else "") + body,
    st.booleans(),
    st.text(alphabet="0123456789 -./()", min_size=1, max_size=30),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(phones=st.lists(written, min_size=1, max_size=8))
def test_stored_and_typed_phone_digits_agree(phones):
    Customer.objects.all().delete()
    for n, phone in enumerate(phones):
        CustomerFactory(external_id=f"p-{n}", phone=phone)

    stored = dict(Customer.objects.values_list("external_id", "phone_digits"))

    assert stored == {f"p-{n}": phone_digits(phone) for n, phone in enumerate(phones)}
    for n, phone in enumerate(phones):
        if customer_search_parse(phone).phone:
            listed = customer_list_page(query=list_query_parse({"q": phone}), page=None, now=timezone.now())
            assert f"p-{n}" in {row.customer.external_id for row in listed.rows}
