#!/usr/bin/env bash
# Install Coin, fill a SQLite database with a demo ISP and serve the portal and
# the admin on http://127.0.0.1:8000/ (the admin login is printed below). Emails
# are printed on this terminal instead of being sent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run
export COIN_DEBUG=${COIN_DEBUG:-true}
export COIN_EMAIL_BACKEND=${COIN_EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}
export COIN_EXTRA_INSTALLED_APPS=${COIN_EXTRA_INSTALLED_APPS:-simple_dsl,vpn,coa}
.venv/bin/python manage.py migrate --noinput --verbosity 0
.venv/bin/python manage.py load_demo_data --reset-admin-password
.venv/bin/python manage.py db_worker --no-reload --interval 2 --verbosity 0 &
worker=$!
trap 'kill $worker 2>/dev/null' EXIT
.venv/bin/python manage.py runserver --noreload 127.0.0.1:8000
