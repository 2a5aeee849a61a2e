#!/usr/bin/env bash
# Refresh the French catalogue from the sources, then compile it (`make messages`).
# With --no-compile, only refresh it (the translation test runs that on a copy of the
# sources to find strings the catalogue does not have yet).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
"$python" manage.py makemessages -l fr --no-obsolete \
  -i ".venv/*" -i "tests/*" -i "bench/*" -i "static_root/*" -i "var/*"
if [ "${1:-}" != "--no-compile" ]; then
  (cd coin && "../$python" ../manage.py compilemessages)
fi
