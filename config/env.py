"""Settings from environment variables, failing loudly on a value that cannot be right."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_int_or_none(name: str, default: int | None) -> int | None:
    """An integer, or None when the variable says "none"."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return None if raw.strip().lower() == "none" else env_int(name, 0)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """SECURE_PROXY_SSL_HEADER from a header name ("X-Forwarded-Proto") or "Name: value"; the value
    defaults to https. Empty: no proxy is trusted."""
    if not raw.strip():
        return None
    name, _, value = raw.partition(":")
    name = name.strip()
    if not name or any(char.isspace() for char in name):
        raise ImproperlyConfigured(f"SECURE_PROXY_SSL_HEADER={raw!r} is not a header name")
    return "HTTP_" + name.upper().replace("-", "_"), value.strip() or "https"
