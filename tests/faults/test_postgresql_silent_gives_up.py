"""A database server that accepts the connection and then says nothing (its host hung, a network cut after the
handshake) is given up on after DB_CONNECT_TIMEOUT seconds: the request becomes a 503 and the web worker is free,
rather than held until the system's TCP timeout, minutes later (issue 18, faults)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from django.conf import settings

PROBE = """
import time, django
django.setup()
from django.db import OperationalError, connection
started = time.monotonic()
try:
    connection.ensure_connection()
except OperationalError:
    print(f"gave up after {time.monotonic() - started:.1f}")
"""


def test_a_silent_database_server_is_given_up_on_after_the_connect_timeout():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nothing ever answers
        port = silent.getsockname()[1]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/silent",
            "DB_CONNECT_TIMEOUT": "1",
        }
        # Without a connect timeout the probe would wait for the server for as long as the socket stays open.
        probe = subprocess.run(
            [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
        )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.startswith("gave up after ")
    assert float(probe.stdout.split()[-1]) < 10
