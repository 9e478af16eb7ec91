"""factory_boy factories shared by every app's tests and the demo."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from .models import Customer, Signal, Team, User


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Faker("company")
    email = factory.Faker("company_email")
    segment = "smb"
    region = "north"
    timezone = "Europe/Berlin"
    consent = factory.LazyFunction(lambda: {"email": True, "sms": True, "phone": True})


class SignalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signal

    customer = factory.SubFactory(CustomerFactory)
    kind = "purchase"
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    received_at = factory.LazyFunction(timezone.now)
    source = "test"
    idempotency_key = factory.Sequence(lambda n: f"k{n}")


def make_user(username: str, *, role: str | None, team: str | None, password: str = "pw-for-tests-1") -> User:
    user = User.objects.create_user(
        username=username,
        password=password,
        team=Team.objects.get(key=team) if team else None,
        is_staff=role == "admin",
        is_superuser=role == "admin",
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user
