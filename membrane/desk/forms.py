"""The desk's forms on the 360° page: they parse what the browser sends; the services judge it."""

from __future__ import annotations

import uuid

from django import forms

from cxcore.signal_kinds import Direction

from .services import CALL_OUTCOMES, NOTE_MAX


def new_key() -> str:
    """The idempotency key a form carries: a second submit of the same form stores nothing new."""
    return str(uuid.uuid4())


class EtaForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    ticket = forms.CharField(max_length=100, error_messages={"required": "Choose one of the customer's open tickets."})
    # A local date and time: the view reads it in the customer's timezone, the time the agent tells them.
    eta = forms.DateTimeField(
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": "Give the date and time the problem will be fixed.",
            "invalid": "Give the ETA as a date and a time.",
        },
    )


class CallForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    direction = forms.ChoiceField(
        choices=[(Direction.OUT.value, "We called the customer"), (Direction.IN.value, "The customer called us")],
        initial=Direction.OUT.value,
        error_messages={"required": "Say who called.", "invalid_choice": "Say who called: we or the customer."},
    )
    outcome = forms.ChoiceField(
        choices=list(CALL_OUTCOMES.items()),
        error_messages={"required": "Choose how the call went.", "invalid_choice": "Choose how the call went."},
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"At most {NOTE_MAX} characters."},
    )
