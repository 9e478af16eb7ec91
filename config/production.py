"""What the web application checks before it serves anything."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_development_secret_key() -> None:
    """The default key is in the source, so anyone could sign sessions with it: with DEBUG off the web
    application does not start without a SECRET_KEY of its own."""
    if settings.DEBUG or settings.SECRET_KEY_FROM_ENVIRONMENT:
        return
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. With DEBUG off the console needs a secret key of its own: set SECRET_KEY "
        "in the environment to a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))'); "
        "bin/console keeps one in var/secret_key."
    )
