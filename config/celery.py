import os
from pathlib import Path

from celery import Celery
from kombu import transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# filesystem:// and redis:// name kombu's transports with a dead worker's unacknowledged messages given back
# soon (the modules say how); RabbitMQ does that itself when the worker's connection drops.
for _scheme, _transport in {
    "filesystem": "config.broker_filesystem:Transport",
    "redis": "config.broker_redis:Transport",
    "rediss": "config.broker_redis:Transport",
}.items():
    transport.TRANSPORT_ALIASES[_scheme] = _transport
    transport._transport_cache.pop(_scheme, None)

app = Celery("cxmembrane")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The embedded broker is a folder that kombu expects to exist.
for folder in (app.conf.broker_transport_options or {}).values():
    if isinstance(folder, str) and folder.startswith("/"):
        Path(folder).mkdir(parents=True, exist_ok=True)
