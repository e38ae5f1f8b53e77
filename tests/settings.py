"""The real settings, made fast and isolated for the test run; nothing else changes."""

import os

# Tests run with DEBUG off, as production does, so they need a key of deployment quality.
os.environ.setdefault("SECRET_KEY", "test-suite-only-" + "k" * 50)

from config.settings import *  # noqa: F403

# Hashing strength is not under test; an hour of PBKDF2 rounds across the suite would be.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The manifest storage needs collectstatic, which has nothing to do with the behaviour tested.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Tasks a test queues by accident go nowhere; tests of the broker name theirs explicitly.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
