"""WSGI entry point, as served by gunicorn (config.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Load the URLconf, and with it every view, serializer, renderer and the schema generator, and
# compile its patterns, while the worker starts. Django does it lazily, in the first request a
# worker serves, which then took a quarter of a second more (seconds while other workers were
# busy), and gunicorn replaces each worker every couple of thousand requests (config.gunicorn).
get_resolver().reverse_dict  # noqa: B018  (reading it populates the resolver)
