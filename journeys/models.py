"""Campaigns: a team's planned contacts with an audience, over a window (DESIGN.md section 8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from membrane.models.impact import PreviewStatus


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    SCHEDULED = "scheduled", "scheduled"
    CANCELLED = "cancelled", "cancelled"


class Campaign(models.Model):
    """Who a team means to contact (an audience expression over the facts), on which channel, when, how often."""

    name = models.CharField(max_length=200)
    team = models.ForeignKey("cxcore.Team", on_delete=models.PROTECT, related_name="campaigns")
    category = models.ForeignKey("cxcore.Category", on_delete=models.PROTECT, related_name="campaigns")
    channel = models.ForeignKey("cxcore.Channel", on_delete=models.PROTECT, related_name="campaigns")
    # An expression in the audience context (membrane.catalogue): the facts and profile fields. With a list
    # (audience_list_size > 0) it filters the list: the audience is the listed customers it holds for ("true":
    # the whole list).
    audience = models.TextField()
    # How many customers the campaign's list names (CampaignListMember); 0: no list, the expression alone.
    audience_list_size = models.PositiveIntegerField(default=0)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Contacts per audience member over the window.
    touches = models.PositiveSmallIntegerField(default=1)
    # Where campaigns collide on a customer the higher priority keeps them (a tie: the earlier start, then
    # the lower id).
    priority = models.IntegerField(default=0)
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    # Optimistic locking: every edit bumps it; an edit made on a stale copy is refused.
    lock_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="campaign_window_ordered"),
            models.CheckConstraint(condition=Q(touches__gte=1), name="campaign_touches_positive"),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="campaign_status_start_idx")]

    def __str__(self) -> str:
        return self.name


class CampaignListMember(models.Model):
    """A customer named by a campaign's audience list, keyed (campaign, customer): the audience readers join it
    (journeys.audiences.campaign_audience_q) instead of listing its ids in the statement."""

    pk = models.CompositePrimaryKey("campaign", "customer")
    # The key leads with the campaign (a list read whole), so no index of its own; the customer's finds a
    # customer's lists (the 360 view).
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey("cxcore.Customer", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.customer_id} in the list of {self.campaign_id}"


class CampaignPreview(models.Model):
    """A campaign's suppression preview (journeys.preview), kept while what it was computed from stands: the
    published principles (their stamp), the facts (the last evaluation run) and the campaign (lock_version),
    together its `stamp`. A large audience's is computed by a task, its progress stored for the page."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="previews")
    stamp = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=PreviewStatus.choices, default=PreviewStatus.RUNNING)
    progress = models.FloatField(default=0.0)
    # When it was computed (the answers are those at the campaign's starts_at, as of this time).
    as_of = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "stamp"], name="campaign_preview_once_per_stamp")]

    def __str__(self) -> str:
        return f"preview of {self.campaign_id} ({self.status}, {self.progress:.0%})"
