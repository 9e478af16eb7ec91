"""The WSGI module freezes what a worker loaded, and what its first requests loaded, so that full
collections skip it."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import gc
before = gc.get_freeze_count()
import config.wsgi
print(before, gc.get_freeze_count(), callable(config.wsgi.application))
"""

# The wrapped application is swapped for one that keeps something from every request, as a worker's
# first requests keep the URL patterns they resolved and the rules they compiled.
PROBE_REQUESTS = """
import gc
import config.wsgi
kept = []
def app(environ, start_response):
    kept.append([len(kept) + 1])  # a list: always tracked by the collector
    return [b""]
config.wsgi.application.app = app
for _ in range(12):
    config.wsgi.application({}, None)
tracked = {id(o) for o in gc.get_objects()}
print(" ".join("frozen" if id(k) not in tracked else "walked" for k in kept))
"""


def _probe(code: str) -> list[str]:
    # In a process of its own: freezing this test process would keep its garbage for good.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "a-key-of-this-test-only"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_loading_the_wsgi_application_freezes_the_loaded_objects():
    before, frozen, callable_app = _probe(PROBE)
    assert int(before) == 0
    assert int(frozen) > 10_000  # Django, DRF and the project's modules
    assert callable_app == "True"


def test_what_the_first_requests_keep_is_frozen_once_they_are_served():
    states = _probe(PROBE_REQUESTS)

    # Frozen after the first request and the tenth; what a later request keeps stays walked until
    # the next freeze.
    assert states == ["frozen"] * 10 + ["walked"] * 2
