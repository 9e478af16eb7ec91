import gc
import os

from django.core.wsgi import get_wsgi_application

from config.production import refuse_development_secret_key
from cxcore.chunked_bodies import ChunkedBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# What the worker has loaded lives as long as it does: frozen, it is no longer walked by each full
# collection. A batch of 1000 signals allocates enough to set one off every few requests, and
# walking the ~85,000 objects of the loaded project made the collector about 3 ms of a batch's 25.
gc.freeze()

# Requests made after these many are served: a worker's first requests load what lives as long as it
# does (URL patterns resolved, compiled principles and stage rules, prepared statements, vocabularies),
# some 25,000 objects that each full collection walked again (8 to 20 ms, once every few thousand
# requests: a request's tail). Frozen too once served, they are no longer walked. Each freeze also
# keeps the cyclic garbage of that moment, a few objects, for good.
FREEZE_AFTER = frozenset({1, 10, 100, 1000})


class _FreezeAfterWarmUp:
    def __init__(self, app):
        self.app = app
        self.served = 0

    def __call__(self, environ, start_response):
        try:
            return self.app(environ, start_response)
        finally:
            self.served += 1
            if self.served in FREEZE_AFTER:
                gc.freeze()


django_application = get_wsgi_application()
refuse_development_secret_key()
application = _FreezeAfterWarmUp(ChunkedBodies(django_application))
