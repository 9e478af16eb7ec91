"""The answer to a login attempt while its username or address waits out too many failures."""

from __future__ import annotations

import math

from django.conf import settings
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    wait = settings.AXES_COOLOFF_TIME
    minutes = math.ceil(wait.total_seconds() / 60)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(wait.total_seconds()))
    return response
