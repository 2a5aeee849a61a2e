"""Settings for the test suite: the defaults, never the developer's settings_local.

The database is SQLite in a temporary file unless COIN_DATABASE_URL points to
PostgreSQL (scripts/test.sh starts a private PostgreSQL cluster and sets it).
"""

import tempfile
from pathlib import Path

from coin.settings_base import *  # noqa: F403

SECRET_KEY = "coin-test-key-not-secret-at-all-but-long-enough-for-checks-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DEFAULT_FROM_EMAIL = "coin@isp.example"
NOTIFICATION_EMAILS = ["board@isp.example"]
SITE_URL = "https://coin.isp.example"
# A third-party configuration app living outside Coin's packages, enabled exactly
# as an ISP would enable its own (see EXTENDING.md).
EXTRA_INSTALLED_APPS = ["simple_dsl", "coin_fiber", "vpn", "coa", "hardware_provisioning"]
# LDAP (vpn, members): cheap Argon2 parameters (the hashes stay real and slapd checks them);
# tests that talk to LDAP point LDAP_* at their private slapd (conftest.py: ldap_server).
LDAP_ARGON2_TIME_COST = 1
LDAP_ARGON2_MEMORY_COST = 1024
LDAP_ARGON2_PARALLELISM = 1
LDAP_URI = "ldap://127.0.0.1:9/"
LDAP_TIMEOUT = 2
FIBER_INVENTORY_URL = "http://127.0.0.1:9/lines"  # tests point it at their own server
# Invoice PDFs that tests render go to a throw-away folder, never into the checkout.
PRIVATE_STORAGE_ROOT = Path(tempfile.mkdtemp(prefix="coin-test-private-"))
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="coin-test-media-"))
LOGGING = {"version": 1, "disable_existing_loggers": False}

from coin.settings_support import finalize  # noqa: E402

finalize(globals())
