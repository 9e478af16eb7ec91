import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# What the worker has loaded lives as long as it does: frozen, it is no longer walked by each full
# collection. A batch of 1000 signals allocates enough to set one off every few requests, and
# walking the ~85,000 objects of the loaded project made the collector about 3 ms of a batch's 25.
gc.freeze()
