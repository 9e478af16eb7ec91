"""Relationship stages: definitions, versioned stage rules, the per-customer history, evaluation runs."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cxcore.models import Customer


class StageDefinition(models.Model):
    """A relationship stage (onboarding, active, loyal, crisis, at_risk, dormant): vocabulary, data."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    color = models.CharField(max_length=20, default="#888888")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.name or self.key


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    IN_REVIEW = "in_review", "in review"
    PUBLISHED = "published", "published"
    SUPERSEDED = "superseded", "superseded"


class StageRuleSet(models.Model):
    """One version of the ordered stage rules; first matching rule wins, `default_stage` otherwise."""

    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=12, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT)
    default_stage = models.CharField(max_length=40)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    change_note = models.TextField(blank=True)
    # Examples checked against the draft's rules: `{"name", "facts": {...}, "expect_stage"}`; a failing
    # one blocks publishing, as for principles.
    examples = models.JSONField(default=list, blank=True)
    # The reviewer's comment when the version was sent back to draft.
    review_comment = models.TextField(blank=True)
    # Optimistic locking, as for principle versions: an edit made on a stale copy is refused.
    lock_version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A rollback publishes a copy of an older version; this names the original.
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="published"), name="stage_ruleset_one_published"
            ),
        ]

    def __str__(self) -> str:
        return f"stage rules v{self.number} ({self.status})"


class StageRule(models.Model):
    ruleset = models.ForeignKey(StageRuleSet, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=40)
    condition = models.TextField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["ruleset", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "position"], name="stage_rule_position_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.stage}: {self.condition}"


class StageRuleSetAudit(models.Model):
    """Who did what to which version of the stage rules, when; written by membrane.stages.authoring only."""

    ruleset = models.ForeignKey(StageRuleSet, on_delete=models.CASCADE, related_name="audit")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # The same steps as a principle version's (membrane.models.principles.AuditAction).
    action = models.CharField(max_length=10)
    at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor or 'system'} {self.action} {self.ruleset} at {self.at:%Y-%m-%d %H:%M}"


class CustomerStage(models.Model):
    """The stage a customer holds as of `evaluated_through`: a cache of the transition history, never the truth."""

    # No database constraint, as for the stored facts: a first run writes every customer's row, read
    # from the customers table in the same statement. Deleting a customer deletes it through the ORM.
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, db_constraint=False, related_name="stage_state"
    )
    stage = models.CharField(max_length=40)
    since = models.DateTimeField()
    previous_stage = models.CharField(max_length=40, null=True, blank=True)
    # The history of this customer is complete up to and including this time.
    evaluated_through = models.DateTimeField()
    ruleset_number = models.PositiveIntegerField(null=True)
    # The rules kept this stage at the instant it began, seeing it held: no evaluation is due a day
    # later for its sake (membrane.stages.instants.stage_settled). Unknown counts as not.
    settled = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["stage"], name="customer_stage_stage_idx"),
            # The stage projection finds the stages whose time in stage crosses a rule's day count by ranges of
            # `since` (membrane.stages.projection_moving), together with the customers' created_at index.
            models.Index(fields=["since"], name="customer_stage_since_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.stage} since {self.since:%Y-%m-%d %H:%M}"


class EvaluationRunKind(models.TextChoices):
    FULL = "full", "everyone"
    CHANGED = "changed", "customers with new signals"
    REPLAY = "replay", "replay"
    CUSTOMER = "customer", "one customer"


class RunOutcome(models.TextChoices):
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"


def stalled_before(now: dt.datetime | None = None) -> dt.datetime:
    """A running run whose last beat is older than this has lost its worker."""
    return (now or timezone.now()) - dt.timedelta(seconds=settings.RUN_STALLED_AFTER_SECONDS)


class EvaluationRun(models.Model):
    kind = models.CharField(max_length=10, choices=EvaluationRunKind.choices)
    as_of = models.DateTimeField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # A beat of the worker doing the run: a running run without a recent beat was interrupted.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    customers = models.PositiveIntegerField(default=0)
    transitions = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=RunOutcome.choices, default=RunOutcome.RUNNING)
    error = models.TextField(blank=True)
    # Progress of a chunked run: chunk k holds the ids from first_id + k * size (size: the id span over
    # chunks_total), and done_chunks lists those committed, in any order (chunks run side by side).
    first_id = models.BigIntegerField(null=True, blank=True)
    last_id = models.BigIntegerField(null=True, blank=True)
    done_chunks = models.JSONField(default=list, blank=True)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    # Customers the run could not evaluate, and went on without (stored data no rule of evaluation foresaw):
    # how many, and the first of them as {"id", "customer" (external id), "reason"}.
    skipped = models.PositiveIntegerField(default=0)
    skipped_customers = models.JSONField(default=list, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["outcome", "kind"], name="evaluation_run_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.kind} run as of {self.as_of:%Y-%m-%d %H:%M} ({self.outcome})"

    @property
    def last_seen_at(self) -> dt.datetime:
        """The last sign of life of the worker doing the run."""
        return self.heartbeat_at or self.started_at

    @property
    def stalled(self) -> bool:
        """Running, but silent for longer than settings.RUN_STALLED_AFTER_SECONDS: its worker has stopped."""
        return self.outcome == RunOutcome.RUNNING and self.last_seen_at < stalled_before()

    @property
    def percent(self) -> int:
        if self.outcome == RunOutcome.SUCCEEDED:
            return 100
        return int(100 * self.chunks_done / self.chunks_total) if self.chunks_total else 0


class StageTransition(models.Model):
    """A change of stage, placed at the event time it happened, with the facts that made it."""

    # Looked up by customer through the (customer, at) unique constraint's index: no index of its own.
    # No database constraint either (as for the stored stage and facts): a full run's chunk writes up to
    # 250,000 transitions, whose deferred checks cost 0.9 s at its commit. Only runs write transitions,
    # for customers they read; Django still cascades a customer's deletion to them.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, db_index=False, db_constraint=False, related_name="stage_transitions"
    )
    from_stage = models.CharField(max_length=40, null=True, blank=True)
    to_stage = models.CharField(max_length=40)
    at = models.DateTimeField()
    facts = models.JSONField(default=dict)
    ruleset_number = models.PositiveIntegerField(null=True)
    run = models.ForeignKey(
        EvaluationRun, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "at", "id"]
        constraints = [
            # A repeated or interrupted-then-rerun evaluation cannot write the same change twice.
            models.UniqueConstraint(fields=["customer", "at"], name="stage_transition_customer_at_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_stage} -> {self.to_stage} at {self.at:%Y-%m-%d %H:%M}"
