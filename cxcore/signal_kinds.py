"""What a signal's kind, direction and severity can be.

Apart from the models because the fact definitions name them, and the models' stored facts are
made from those definitions (cxcore.facts.catalogue). cxcore.models exports them too.
"""

from __future__ import annotations

from django.db import models


class Direction(models.TextChoices):
    IN = "in", "inbound"
    OUT = "out", "outbound"


class Severity(models.TextChoices):
    LOW = "low", "low"
    NORMAL = "normal", "normal"
    HIGH = "high", "high"


class SignalKind(models.TextChoices):
    """The kinds with meaning; any other kind is stored and shown, and feeds no fact."""

    TICKET_OPENED = "ticket_opened", "ticket opened"
    TICKET_ETA_GIVEN = "ticket_eta_given", "ETA given"
    TICKET_RESOLVED = "ticket_resolved", "ticket resolved"
    TICKET_REOPENED = "ticket_reopened", "ticket reopened"
    COMPLAINT = "complaint", "complaint"
    PURCHASE = "purchase", "purchase"
    SURVEY_RESPONSE = "survey_response", "survey response"
    CONTACT = "contact", "contact"
