import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
application = get_wsgi_application()

# What the worker loaded to start (modules, models, settings: some 200,000
# objects) lives as long as the worker. Frozen, it is left out of the
# collector's full passes, which otherwise walked all of it every dozen
# requests: 100-300 ms stalls on a busy machine, the ticket page's p99
# (docs/decisions/service-desk-reads.md).
gc.collect()
gc.freeze()
