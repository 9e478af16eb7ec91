"""Every decision is logged; the log cannot be edited or deleted, by code, queryset or admin."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from cxcore.factories import CustomerFactory
from membrane.decisions.services import decision_make
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.models import Principle
from membrane.models.decisions import AppendOnlyError, DecisionLog
from membrane.tests.principles_support import draft, publish

AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def logged(db):
    customer = CustomerFactory()
    decision = decision_make(
        inputs=DecisionInputs(customer),
        interaction=Interaction("marketing_devices", "marketing", "email"),
        at=AT,
        asked_by="test",
    )
    return DecisionLog.objects.get(decision_id=decision.decision_id)


def test_a_decision_is_logged_with_its_answer(logged):
    assert (logged.verdict, logged.at, logged.asked_by, logged.category) == ("allow", AT, "test", "marketing")
    assert logged.reason.startswith("Allowed")


def test_the_log_row_holds_the_answer_as_its_json_fields_store_it(cx_manager, service_manager):
    # Facts of every kind a JSON field converts (a Decimal, a null, numbers, text, a boolean) and an
    # action's due time, written by the decision path's own INSERT on PostgreSQL.
    for fields in (
        {"categories": ["upsell"], "condition": "lifetime_value >= 0 or last_survey_score < 5", "effect": "allow"},
        {
            "categories": [],
            "condition": "lifetime_value >= 0 and eta_given",
            "effect": "prescribe",
            "params": {"action": "agent_contact", "team": "service", "due_hours": 24},
        },
    ):
        publish(draft(cx_manager, examples=[], **fields), author=cx_manager, reviewer=service_manager)
    customer = CustomerFactory(lifetime_value=Decimal("1234.5"), consent={"email": True})

    decision = decision_make(
        inputs=DecisionInputs(customer), interaction=Interaction("sales", "upsell", "email"), at=AT
    )

    logged = DecisionLog.objects.get(decision_id=decision.decision_id)
    stored = json.loads(
        json.dumps([decision.verdict.facts, decision.verdict.matched, decision.verdict.actions], cls=DjangoJSONEncoder)
    )
    assert [logged.facts, logged.matched, logged.actions] == stored
    assert (logged.facts["lifetime_value"], logged.facts["last_survey_score"]) == ("1234.50", None)
    assert [action["due"] for action in logged.actions] == ["2026-03-11T12:00:00Z"]


def test_the_log_refuses_updates_and_deletes(logged):
    logged.verdict = "suppress"
    with pytest.raises(AppendOnlyError):
        logged.save()
    with pytest.raises(AppendOnlyError):
        logged.delete()
    with pytest.raises(AppendOnlyError):
        DecisionLog.objects.filter(pk=logged.pk).update(verdict="suppress")
    with pytest.raises(AppendOnlyError):
        DecisionLog.objects.all().delete()
    assert DecisionLog.objects.get(pk=logged.pk).verdict == "allow"


def test_the_admin_is_read_only(logged, rf):
    from django.contrib import admin

    from cxcore.factories import make_user

    model_admin = admin.site._registry[DecisionLog]
    request = rf.get("/admin/")
    request.user = make_user("root", role="admin", team=None)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, logged)
    assert not model_admin.has_delete_permission(request, logged)


def test_a_new_object_with_an_existing_pk_cannot_overwrite_a_logged_decision(db):
    customer = CustomerFactory()
    fields = dict(customer=customer, team="sales", category="upsell", channel="email", verdict="allow", reason="x")
    now = timezone.now()
    row = DecisionLog.objects.create(at=now, decided_at=now, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        DecisionLog(pk=row.pk, at=now, decided_at=now, **{**fields, "verdict": "suppress"}).save()
    with pytest.raises(AppendOnlyError):
        DecisionLog.objects.bulk_create(
            [DecisionLog(pk=row.pk, at=now, decided_at=now, **fields)],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["verdict"],
        )
    assert DecisionLog.objects.get(pk=row.pk).verdict == "allow"


def test_a_customer_or_a_principle_the_log_cites_cannot_be_deleted(db):
    customer = CustomerFactory()
    principle = Principle.objects.order_by("pk").first()
    now = timezone.now()
    row = DecisionLog.objects.create(
        customer=customer,
        principle=principle,
        version_number=1,
        decided_by="principle",
        team="sales",
        category="upsell",
        channel="email",
        verdict="suppress",
        reason="x",
        at=now,
        decided_at=now,
    )

    for cited in (customer, principle):
        with pytest.raises(ProtectedError) as refused, transaction.atomic():
            cited.delete()
        assert row in refused.value.protected_objects
    assert DecisionLog.objects.get(pk=row.pk).customer_id == customer.pk
