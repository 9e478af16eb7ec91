"""The WSGI module freezes what a worker loaded, so full collections during a batch skip it."""

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


def test_loading_the_wsgi_application_freezes_the_loaded_objects():
    # In a process of its own: freezing this test process would keep its garbage for good.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )

    before, frozen, callable_app = result.stdout.split()
    assert int(before) == 0
    assert int(frozen) > 10_000  # Django, DRF and the project's modules
    assert callable_app == "True"
