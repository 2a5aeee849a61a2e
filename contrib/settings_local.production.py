# Coin: settings of a production installation.
#
# Copy this file to coin/settings_local.py (git-ignored) and change what is marked
# CHANGE. It holds only overrides: every other setting keeps its default from
# coin/settings_base.py. COIN_* environment variables (COIN_SECRET_KEY,
# COIN_DATABASE_URL, COIN_ALLOWED_HOSTS, ...) override this file.
#
# Check the result with:   .venv/bin/python manage.py check --deploy
# It must report no issue.
#
# This setup assumes nginx (or another reverse proxy) in front of Coin, terminating
# HTTPS and passing requests to gunicorn on a local socket (see contrib/).

# --- Identity of the installation ------------------------------------------------------

DEBUG = False

# CHANGE: a long random secret, unique to this installation, never published. Generate
# one with
#   .venv/bin/python -c 'from django.core.management.utils import get_random_secret_key as k; print(k())'
# and paste it here, or leave this line and set COIN_SECRET_KEY in the service's
# environment. Until then, "manage.py check --deploy" reports security.W009.
SECRET_KEY = "django-insecure-CHANGE-ME"

# CHANGE: the host name(s) members type to reach the portal.
ALLOWED_HOSTS = ["coin.isp.example"]
CSRF_TRUSTED_ORIGINS = ["https://coin.isp.example"]
# Absolute base URL of the portal, for the links in emails.
SITE_URL = "https://coin.isp.example"

# --- Database --------------------------------------------------------------------------
# PostgreSQL through its local unix socket, the "coin" role authenticated by the
# operating system user (peer authentication): no password to keep.
# Or set COIN_DATABASE_URL=postgres://user:password@host:5432/coin instead.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "coin",
        "USER": "coin",
        "HOST": "",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}

# --- HTTPS -----------------------------------------------------------------------------
# nginx terminates HTTPS and tells Coin so with this header. nginx must set it itself
# (proxy_set_header X-Forwarded-Proto $scheme;) so that a client cannot fake it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Plain HTTP requests reaching Coin are redirected to HTTPS.
SECURE_SSL_REDIRECT = True
# Cookies only travel over HTTPS.
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Browsers remember for a year to use HTTPS only, on this host and its subdomains.
# Start with a few minutes (300) on a new installation and raise it once HTTPS works.
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Asking browsers to preload the host (SECURE_HSTS_PRELOAD) is a commitment for the whole
# domain that only its owner can make: it stays off, and so does Django's reminder about it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Behind nginx: login lockout and rate limits -----------------------------------------
# nginx appends the client's address to X-Forwarded-For
# (proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;): without this, every
# client would have nginx's address, and one attacker would lock everybody out.
REVERSE_PROXY_COUNT = 1
# Rate-limit counters must be shared by all gunicorn workers: the database cache needs no
# other service (create its table once: manage.py createcachetable). Redis or Memcached
# do as well.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "coin_cache"}}

# --- Email -----------------------------------------------------------------------------
# CHANGE: the sender of emails and who hears about errors and events.
DEFAULT_FROM_EMAIL = "Coin <coin@isp.example>"
SERVER_EMAIL = "coin@isp.example"
ADMINS = [("Coin admins", "admins@isp.example")]
NOTIFICATION_EMAILS = ["board@isp.example"]
# The local mail server (Postfix, OpenSMTPD...) relays them.
EMAIL_HOST = "localhost"
EMAIL_PORT = 25

# --- Files -----------------------------------------------------------------------------
# Collected static files, served by nginx (manage.py collectstatic).
STATIC_ROOT = "/var/www/coin/static"
# Private files (invoice PDFs): served by nginx to Coin only, never listed.
MEDIA_ROOT = "/var/lib/coin/media"

# --- Optional apps and look --------------------------------------------------------------
# EXTRA_INSTALLED_APPS = ["simple_dsl", "vpn", "hardware_provisioning", "coa"]
# EXTRA_TEMPLATE_DIRS = ["/etc/coin/templates"]
# MEMBER_MEMBERSHIP_INFO_URL = "https://isp.example/adherer"
# FEEDS = [("Our news", "https://isp.example/feed.xml", 3)]
