#!/usr/bin/env bash
# Install what the tests need, then run the whole suite on PostgreSQL (a private
# cluster started and stopped by tests/harness/postgres.py) and the
# database-dependent tests again on SQLite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
export DJANGO_ALLOW_ASYNC_UNSAFE=true  # Playwright's event loop next to live_server

echo "== Static checks: the app layers (lint-imports, setup.cfg) and the types (mypy)"
PYTHONPATH=. .venv/bin/lint-imports --no-cache --no-logo
PYTHONPATH=.:tests/thirdparty .venv/bin/mypy

echo "== PostgreSQL: the whole suite"
.venv/bin/python -m tests.harness.postgres -- .venv/bin/pytest -n 2 --dist loadgroup -m "not deploy_run" "$@"

echo "== SQLite: the suite again, but for browser tests, PostgreSQL-only guarantees and the deployment run"
env -u COIN_DATABASE_URL .venv/bin/pytest -n 2 -m "not browser and not postgres_only and not deploy" "$@"

if [ $# -eq 0 ]; then
  # Alone, after the suites: it installs into the machine (the coin user, packages), which
  # other tests running at the same time must not see.
  echo "== The deployment: the Ansible role run for real (make deploy-test)"
  .venv/bin/python -m tests.harness.postgres -- .venv/bin/pytest -q -p no:cacheprovider -m deploy_run tests/deploy
fi
