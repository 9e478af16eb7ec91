"""The production settings come from the environment: `check --deploy` is clean with the README's
production environment, the web application refuses the source's development key, and the CSP names
where forms may post and what <base> may say."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import proxy_ssl_header

PRODUCTION = {
    "DEBUG": "false",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "ALLOWED_HOSTS": "cx.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://cx.example.com",
}


def run(args: list[str], **environment: str) -> subprocess.CompletedProcess:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is the suite's, not a production environment's.
    left_out = {*PRODUCTION, "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in left_out}
    env.update(environment, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_the_documented_production_environment():
    checked = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
        SECRET_KEY=secrets.token_urlsafe(50),
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout


def test_check_deploy_names_what_the_default_environment_lacks():
    checked = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], DEBUG="false")

    assert checked.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W009", "security.W012", "security.W016"):
        assert warning in checked.stderr


def test_the_web_application_refuses_to_start_on_the_development_key():
    started = run(["-c", "import config.wsgi"], DEBUG="false")

    assert started.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in started.stderr


def test_the_web_application_starts_with_a_key_of_its_own_or_in_debug():
    assert run(["-c", "import config.wsgi"], DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50)).returncode == 0
    assert run(["-c", "import config.wsgi"], DEBUG="true").returncode == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        ("X-Forwarded-Proto", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("X-Forwarded-Ssl: on", ("HTTP_X_FORWARDED_SSL", "on")),
    ],
)
def test_the_proxy_header_is_read_from_its_name(raw, expected):
    assert proxy_ssl_header(raw) == expected


def test_a_proxy_header_that_is_not_a_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match="not a header name"):
        proxy_ssl_header("X Forwarded Proto")


def test_the_content_security_policy_bounds_forms_and_base(client, cx_manager):
    client.force_login(cx_manager)

    policy = client.get("/").headers["Content-Security-Policy"]

    assert "base-uri 'self'" in policy
    assert "form-action 'self'" in policy
