"""Erasing a customer's personal data (the right to erasure) without losing what the membrane decided.

The profile's personal fields and every signal's payload are cleared, and the row takes a pseudonym in
place of the source's id: the decision log, the stage history and the facts stay, about a customer no
one can name any more. The pseudonym is random, so nothing kept leads back to the person."""

from __future__ import annotations

import logging
import secrets

from django.db import transaction

from .models import Customer, CustomerErasure, Signal

log = logging.getLogger(__name__)

PSEUDONYM_PREFIX = "erased-"


class AlreadyErased(Exception):
    pass


def is_erased(customer: Customer) -> bool:
    return customer.external_id.startswith(PSEUDONYM_PREFIX)


@transaction.atomic
def customer_erase(customer: Customer, *, erased_by: str) -> CustomerErasure:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if is_erased(customer):
        raise AlreadyErased(f"{customer.external_id} is already erased.")
    pseudonym = PSEUDONYM_PREFIX + secrets.token_hex(8)
    # No consent is left either: an erased customer is contacted in no category that needs it.
    Customer.objects.filter(pk=customer.pk).update(
        external_id=pseudonym, name="", email="", phone="", attributes={}, consent={}
    )
    cleared = Signal.objects.filter(customer_id=customer.pk).exclude(payload={}).update(payload={})
    erasure = CustomerErasure.objects.create(
        customer_id=customer.pk, pseudonym=pseudonym, erased_by=erased_by, signals_cleared=cleared
    )
    log.info("customer %s erased by %s (%d signal payloads cleared)", pseudonym, erased_by, cleared)
    return erasure
