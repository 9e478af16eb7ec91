"""Settings of the gunicorn and the Celery worker that `bench ingest` starts: the project's, with the broker and
the queue of this run (a queue of its own, so no other worker on the machine takes its tasks)."""

import os

from config.settings import *  # noqa: F403

CELERY_BROKER_URL = os.environ["BENCH_CELERY_BROKER_URL"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["BENCH_CELERY_QUEUE"]
