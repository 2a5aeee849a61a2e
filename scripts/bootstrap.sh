#!/usr/bin/env bash
# Install what Coin needs on Debian 12 (run as root): system packages that are
# missing, a virtual environment in .venv and the Python dependencies.
#   scripts/bootstrap.sh          what the portal needs
#   scripts/bootstrap.sh test     plus what the test suite needs (PostgreSQL, Chromium…)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-run}
# libldap2-dev and libsasl2-dev: python-ldap has no wheel and builds against them.
packages=(python3-venv gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
  build-essential python3-dev libldap2-dev libsasl2-dev)
if [ "$profile" = test ]; then
  # slapd, ldap-utils, openvpn, openvpn-auth-ldap: the vpn app's tests run the real ones.
  # freeradius, freeradius-utils, freeradius-postgresql: the coa app's tests run a real FreeRADIUS
  #   (tests/harness/freeradius.py) and talk to it with radtest/radclient; radclient is also
  #   the CoA peer of coa's tests and bench/bench_coa.py.
  # ansible … ruby: tests/deploy (the role run for real, nginx -t, systemd-analyze, ruby -c)
  packages+=(postgresql chromium poppler-utils qpdf bind9-utils slapd ldap-utils openvpn openvpn-auth-ldap iproute2
    freeradius freeradius-utils freeradius-postgresql
    ansible ansible-lint nginx ruby openssl systemd python3-psycopg2 sudo acl)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Missing system packages: ${missing[*]} (run this script as root, or install them)." >&2
    exit 1
  fi
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
requirements=requirements.txt
[ "$profile" = test ] && requirements=requirements-test.txt
.venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
