"""Settings of the gunicorn that `bench decisions` starts: the project's, plus a bare view for the baseline.

Only the URLconf differs, so the bare view and the decision API run in the same processes with
the same middleware and authentication.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.decisions_urls"
