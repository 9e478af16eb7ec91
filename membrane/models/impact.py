"""A version's impact preview computed by a worker when the population is large: status, progress and answer."""

from __future__ import annotations

from django.db import models


class PreviewStatus(models.TextChoices):
    RUNNING = "running", "running"
    READY = "ready", "ready"
    FAILED = "failed", "failed"


class ImpactPreview(models.Model):
    """One preview per version, kind (publish or retire) and published set: a change to either asks anew."""

    version = models.ForeignKey("membrane.PrincipleVersion", on_delete=models.CASCADE, related_name="+")
    retire = models.BooleanField(default=False)
    # The published set's stamp and the version's lock_version when the preview was asked for.
    stamp = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=PreviewStatus.choices, default=PreviewStatus.RUNNING)
    progress = models.FloatField(default=0.0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "retire", "stamp"], name="impact_preview_once_per_stamp")
        ]

    def __str__(self) -> str:
        return f"impact of {self.version_id} ({self.status}, {self.progress:.0%})"
