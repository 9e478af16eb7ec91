"""Decisions (an append-only log) and the tasks that prescribed actions become."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q


class AppendOnlyError(Exception):
    """The decision log is evidence: nothing in it is ever changed or removed."""


class DecisionLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The decision log is append-only: rows cannot be updated.")

    def delete(self):
        raise AppendOnlyError("The decision log is append-only: rows cannot be deleted.")

    # bulk_update would bypass save(); it is refused for the same reason.
    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("The decision log is append-only: rows cannot be updated.")

    def bulk_create(self, objs, *args, update_conflicts=False, **kwargs):
        if update_conflicts:
            raise AppendOnlyError("The decision log is append-only: rows cannot be updated.")
        return super().bulk_create(objs, *args, **kwargs)


class DecisionLog(models.Model):
    decision_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Both keys are checked by the database: measured beside each other (bench decisions --foreign-keys
    # compare, docs/integrity.md), the check cost a decision nothing measurable in-process and the API
    # under 10% of its requests/s. Queries by customer use the (customer, at) index below, and none looks
    # decisions up by principle.
    customer = models.ForeignKey("cxcore.Customer", on_delete=models.PROTECT, related_name="+", db_index=False)
    team = models.CharField(max_length=40)
    category = models.CharField(max_length=40)
    channel = models.CharField(max_length=40)
    at = models.DateTimeField()  # the time the question was about
    decided_at = models.DateTimeField()  # the time it was asked
    verdict = models.CharField(max_length=8)
    # "principle", "consent" or "" (nothing matched); the principle and version when it is a principle.
    decided_by = models.CharField(max_length=10, blank=True)
    principle = models.ForeignKey(
        "membrane.Principle", null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    version_number = models.PositiveIntegerField(null=True)
    stage = models.CharField(max_length=40, blank=True)
    matched = models.JSONField(default=list)
    facts = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    actions = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    reason = models.TextField()
    retry_after = models.DateTimeField(null=True)
    asked_by = models.CharField(max_length=150, blank=True)

    objects = DecisionLogQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "at"], name="decision_customer_at_idx"),
            models.Index(fields=["decided_at"], name="decision_decided_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} {self.team}/{self.category}/{self.channel} for {self.customer_id} at {self.at}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The decision log is append-only: rows cannot be updated.")
        # Forced, so that a new object carrying an existing pk fails instead of updating that row.
        super().save(*args, **{**kwargs, "force_insert": True})

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The decision log is append-only: rows cannot be deleted.")


class TaskStatus(models.TextChoices):
    OPEN = "open", "open"
    DONE = "done", "done"
    # An agent judged the action not needed (with a note saying why); like done, it is not prescribed again
    # while its episode lasts.
    DISMISSED = "dismissed", "dismissed"
    CLOSED = "closed", "closed: no longer needed"


class AgentTask(models.Model):
    """An action a published principle prescribes for a customer (call back, free service, credit)."""

    customer = models.ForeignKey("cxcore.Customer", on_delete=models.CASCADE, related_name="tasks")
    principle = models.ForeignKey("membrane.Principle", on_delete=models.PROTECT, related_name="tasks")
    version = models.ForeignKey("membrane.PrincipleVersion", on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(max_length=40)  # an ActionKind key
    team = models.CharField(max_length=40)  # a Team key
    status = models.CharField(max_length=9, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    opened_at = models.DateTimeField()  # the evaluation time at which the condition held
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The agent who took the task on, so that two agents do not call the same customer.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # What the agent wrote when completing or dismissing it. Defaults in the database too: the set-based sync
    # inserts tasks with INSERT ... SELECT naming only its own columns.
    note = models.TextField(blank=True, db_default="")
    # Raised by every agent's change (claim, release, complete, dismiss, undo): an undo applies only to
    # the change it was issued for, not over a later one.
    revision = models.PositiveIntegerField(db_default=0)
    # Set when the condition stopped holding: a non-repeating action is prescribed once per episode.
    episode_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "principle"], condition=Q(status="open"), name="agent_task_one_open_per_principle"
            ),
        ]
        indexes = [models.Index(fields=["status", "team", "due_at"], name="agent_task_queue_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.customer_id} ({self.status}, due {self.due_at:%Y-%m-%d %H:%M})"
