"""Interaction principles: a principle, its versions (lifecycle, scope, effect, tests) and their audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Effect(models.TextChoices):
    SUPPRESS = "suppress", "suppress"
    ALLOW = "allow", "allow"
    CAP = "cap", "cap"
    PRESCRIBE = "prescribe", "prescribe"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    IN_REVIEW = "in_review", "in review"
    PUBLISHED = "published", "published"
    SUPERSEDED = "superseded", "superseded"
    RETIRED = "retired", "retired"


class Principle(models.Model):
    """A rule of etiquette the whole organisation follows; what it says lives in its versions."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    # Markdown; rendered through nh3 so it can never carry script into a page.
    rationale = models.TextField(blank=True)
    team = models.ForeignKey("cxcore.Team", on_delete=models.PROTECT, related_name="principles")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title


class PrincipleVersion(models.Model):
    principle = models.ForeignKey(Principle, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # Scope: lists of vocabulary keys; an empty list means "all".
    categories = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    teams = models.JSONField(default=list, blank=True)
    condition = models.TextField()
    effect = models.CharField(max_length=10, choices=Effect.choices)
    # Typed by membrane.principles.effects: cap {n, days}; prescribe {action, team, due_hours, repeat_days}.
    params = models.JSONField(default=dict, blank=True)
    priority = models.IntegerField(default=0)
    # Examples checked against the compiled condition; a failing one blocks publishing.
    examples = models.JSONField(default=list, blank=True)
    change_note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    # The reviewer's comment when the version was sent back to draft.
    review_comment = models.TextField(blank=True)
    # Optimistic locking: every edit of a draft bumps it; an edit made on a stale copy is refused.
    lock_version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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
    ended_at = models.DateTimeField(null=True, blank=True)  # superseded or retired
    # A rollback publishes a copy of an older version; this names the original.
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["principle", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["principle", "number"], name="principle_version_number_uniq"),
            models.UniqueConstraint(
                fields=["principle"], condition=Q(status="published"), name="principle_one_published_version"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="principle_version_status_idx")]

    def __str__(self) -> str:
        return f"{self.principle.slug} v{self.number} ({self.status})"


class AuditAction(models.TextChoices):
    CREATE = "create", "created"
    EDIT = "edit", "edited"
    SUBMIT = "submit", "submitted for review"
    APPROVE = "approve", "approved"
    REJECT = "reject", "sent back to draft"
    PUBLISH = "publish", "published"
    SUPERSEDE = "supersede", "superseded"
    RETIRE = "retire", "retired"
    ROLLBACK = "rollback", "rolled back"


class PrincipleAudit(models.Model):
    """Who did what to which version, when; written by the lifecycle services only."""

    principle = models.ForeignKey(Principle, on_delete=models.CASCADE, related_name="audit")
    version = models.ForeignKey(PrincipleVersion, null=True, on_delete=models.CASCADE, related_name="audit")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "id"], name="principle_audit_action_idx")]

    def __str__(self) -> str:
        return f"{self.actor or 'system'} {self.action} {self.version} at {self.at:%Y-%m-%d %H:%M}"
