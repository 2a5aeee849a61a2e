"""The Ansible role run for real against this machine (`-c local`), into a throw-away
prefix, with coin_manage_services=false (no systemd as PID 1 here): then gunicorn, the
worker and nginx are started by hand from the files the role installed, on 127.0.0.1
ports picked free, and the portal is checked through nginx. A second run of the role
changes nothing. It needs root (it creates the coin user and installs Debian packages)."""

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest

from tests.deploy.tools import (
    ANSIBLE_DIR,
    REPO,
    clean_environment,
    coin_unit_problems,
    nginx_conf,
    read_unit,
    run,
    self_signed_certificate,
    tool,
    unit_command,
    unit_environment,
    verify_units,
)
from tests.harness.postgres import private_cluster

# One deployment for the whole module, on one xdist worker: two at once would fight over
# the machine's one `coin` user (usermod refuses while the other's gunicorn runs as it).
pytestmark = [pytest.mark.deploy, pytest.mark.deploy_run, pytest.mark.xdist_group("deployment")]

SERVER_NAME = "coin.deploy.test"
MEMBER, MEMBER_PASSWORD = "cmartin", "demo-member-pw"


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def play(inventory: Path, extra_vars: Path) -> tuple[str, dict[str, int]]:
    """Run site.yml; return its output and the recap's counters for the host."""
    result = run(
        [
            tool("ansible-playbook"),
            "-i",
            str(inventory),
            str(ANSIBLE_DIR / "site.yml"),
            "-e",
            f"@{extra_vars}",
        ],
        env={
            **os.environ,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_PIPELINING": "1",
            "ANSIBLE_LOCALHOST_WARNING": "0",
        },
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    recap = re.search(r"localhost\s+:\s+(.*)", output.split("PLAY RECAP")[-1])
    assert recap, output[-3000:]
    counters = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", recap.group(1))}
    return output, counters


def changed_tasks(output: str) -> list[str]:
    """The names of the tasks that reported 'changed' (to explain a failed changed=0)."""
    names, current = [], ""
    for line in output.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            current = line
        elif line.startswith("changed:"):
            names.append(current)
    return names


def as_coin(unit_path: Path, **popen) -> subprocess.Popen:
    """Start a service's ExecStart as its User=, in its WorkingDirectory=, with its Environment=."""
    unit = read_unit(unit_path)
    service = unit["Service"]
    command = unit_command(service["ExecStart"][0])
    environment = " ".join(f"{k}={v}" for k, v in unit_environment(unit).items())
    return subprocess.Popen(
        ["runuser", "-u", service["User"][0], "--", "env", *environment.split(), *command],
        cwd=service["WorkingDirectory"][0],
        start_new_session=True,
        env=clean_environment(),
        **popen,
    )


def manage(src: Path, *arguments: str) -> str:
    result = run(
        ["runuser", "-u", "coin", "--", str(src / ".venv/bin/python"), "manage.py", *arguments], cwd=src
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def wait_for(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if value := check():
                return value
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


class Browser:
    """A few HTTPS requests through nginx, keeping cookies, trusting the test's certificate."""

    def __init__(self, port: int, certificate: Path) -> None:
        self.port = port
        self.context = ssl.create_default_context(cafile=str(certificate))
        self.context.check_hostname = False  # 127.0.0.1 is not the certificate's name
        self.cookies: dict[str, str] = {}
        self.host = f"{SERVER_NAME}:{port}"

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=30)
        sent = {"Host": self.host, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = f"https://{self.host}"
            sent["Referer"] = f"https://{self.host}{path}"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, content


@pytest.fixture(scope="module")
def deployment():
    """Deploy with the role twice, start the services by hand, yield what the checks need."""
    if os.geteuid() != 0:
        pytest.fail("the deployment run needs root (CI runs as root): sudo make deploy-test")
    prefix = Path(tempfile.mkdtemp(prefix="coin-deploy-"))
    prefix.chmod(0o755)
    processes: list[subprocess.Popen] = []
    try:
        with private_cluster() as database_url:
            socket_dir = dict(part.split("=") for part in urlparse(database_url).query.split("&"))["host"]
            certificate, key = self_signed_certificate(prefix, SERVER_NAME)
            http_port, https_port = free_port(), free_port()
            # Deployed from a clone of this commit, so that the upgrade test can commit to it.
            upstream = prefix / "upstream"
            commit = run(["git", "rev-parse", "HEAD"], cwd=REPO).stdout.strip()
            cloned = run(["git", "clone", "--quiet", "--no-checkout", str(REPO), str(upstream)])
            assert cloned.returncode == 0, cloned.stderr
            run(["git", "checkout", "--quiet", "-b", "deployed", commit], cwd=upstream)
            variables = {
                "coin_prefix": str(prefix),
                "coin_git_repo": str(upstream),
                "coin_git_version": "deployed",
                "coin_server_name": SERVER_NAME,
                "coin_secret_key": secrets.token_urlsafe(60),
                "coin_manage_services": False,
                "coin_database_host": socket_dir,
                "coin_nginx_http_listen": [f"127.0.0.1:{http_port}"],
                "coin_nginx_https_listen": [f"127.0.0.1:{https_port} ssl http2"],
                "coin_tls_certificate": str(certificate),
                "coin_tls_certificate_key": str(key),
                "coin_gunicorn_workers": 2,
                "coin_backup_enabled": True,
                # The optional parts, without their packages: their contrib/ folders are
                # absent from this version, which the role must step over.
                "coin_vpn_enabled": True,
                "coin_vpn_packages": [],
                "coin_coa_enabled": True,
                "coin_coa_packages": [],
            }
            extra_vars = prefix / "vars.json"
            extra_vars.write_text(json.dumps(variables))
            inventory = prefix / "inventory.ini"
            inventory.write_text(
                "[coin]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n"
            )
            started = time.monotonic()
            first_output, first = play(inventory, extra_vars)
            first_seconds = time.monotonic() - started
            started = time.monotonic()
            second_output, second = play(inventory, extra_vars)
            second_seconds = time.monotonic() - started
            print(
                f"\nrole: first run {first_seconds:.0f} s {first}, second run {second_seconds:.0f} s {second}"
            )

            src = prefix / "srv/coin"
            units = prefix / "etc/systemd/system"
            manage(src, "load_demo_data")
            logs = prefix / "logs"
            logs.mkdir()
            for name in ("coin-gunicorn", "coin-worker"):
                with open(logs / f"{name}.log", "w") as log:
                    processes.append(as_coin(units / f"{name}.service", stdout=log, stderr=subprocess.STDOUT))
            gunicorn_socket = prefix / "run/coin/gunicorn.sock"
            wait_for(gunicorn_socket.exists, "gunicorn's socket")
            nginx_dir = prefix / "nginx-test"
            nginx_dir.mkdir()
            conf = nginx_conf(nginx_dir, f"{prefix}/etc/nginx/sites-enabled/*.conf", user="www-data")
            checked = run([tool("nginx"), "-t", "-p", str(nginx_dir), "-c", str(conf)])
            assert checked.returncode == 0, checked.stderr
            processes.append(
                subprocess.Popen(
                    [tool("nginx"), "-p", str(nginx_dir), "-c", str(conf), "-g", "daemon off;"],
                    start_new_session=True,
                    env=clean_environment(),
                )
            )
            wait_for(lambda: socket.create_connection(("127.0.0.1", https_port), timeout=1), "nginx")
            yield {
                "prefix": prefix,
                "src": src,
                "units": units,
                "first": first,
                "second": second,
                "second_output": second_output,
                "first_output": first_output,
                "browser": Browser(https_port, certificate),
                "http_port": http_port,
                "logs": logs,
                "upstream": upstream,
                "inventory": inventory,
                "extra_vars": extra_vars,
            }
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(prefix, ignore_errors=True)


def test_the_role_deploys_then_changes_nothing_on_a_second_run(deployment):
    assert deployment["first"]["changed"] > 0
    assert deployment["second"]["changed"] == 0, changed_tasks(deployment["second_output"])
    assert deployment["second"]["failed"] == 0
    # What a re-run after a `git pull` relies on: a new clone, migrations or settings
    # notify the restart (skipped here, as every service step), an unchanged one does not.
    assert "RUNNING HANDLER [coin : Restart coin]" in deployment["first_output"]
    assert "RUNNING HANDLER" not in deployment["second_output"]
    # An optional part's files are installed when the clone has them, skipped with a word when not.
    for folder, dest in (("openvpn", "etc/openvpn/coin"), ("freeradius", "etc/freeradius/3.0/coin")):
        shipped = sorted(path.name for path in (REPO / "contrib" / folder).glob("*") if path.is_file())
        if shipped:
            installed = sorted(path.name for path in (deployment["prefix"] / dest).glob("*"))
            assert installed == shipped
        else:
            assert f"contrib/{folder} is absent from this clone" in deployment["first_output"]


def test_systemd_analyze_accepts_the_installed_units(deployment):
    result = verify_units(deployment["units"])
    assert result.returncode == 0 and not coin_unit_problems(result), result.stderr


def test_the_settings_are_private_and_from_the_variables(deployment):
    settings = deployment["src"] / "coin/settings_local.py"
    assert oct(settings.stat().st_mode & 0o777) == "0o640"
    assert 'PRIVATE_FILES_OFFLOAD = "x-accel-redirect"' in settings.read_text()


def test_http_is_redirected_to_https(deployment):
    connection = http.client.HTTPConnection("127.0.0.1", deployment["http_port"], timeout=10)
    connection.request("GET", "/login/", headers={"Host": SERVER_NAME})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{SERVER_NAME}/login/"


def test_isp_json_answers(deployment):
    response, content = deployment["browser"].request("GET", "/isp.json")
    assert response.status == 200, content[:500]
    assert response.getheader("Content-Type").startswith("application/json")
    assert json.loads(content)["name"]
    # Django answered this one: its middleware's headers are there.
    assert response.getheader("X-Frame-Options") == "DENY"


def test_static_files_are_served_by_nginx(deployment):
    static_file = deployment["prefix"] / "var/www/coin/static/admin/css/base.css"
    response, content = deployment["browser"].request("GET", "/static/admin/css/base.css")
    assert response.status == 200
    assert content == static_file.read_bytes()
    assert response.getheader("X-Frame-Options") is None  # not through Django
    assert response.getheader("ETag") and response.getheader("Expires")


def test_a_member_logs_in_and_gets_an_invoice_pdf_through_x_accel_redirect(deployment):
    browser, src = deployment["browser"], deployment["src"]
    response, content = browser.request("GET", "/login/")
    assert response.status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
    response, content = browser.request(
        "POST",
        "/login/",
        body={"username": MEMBER, "password": MEMBER_PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status == 302, content[:2000]
    response, content = browser.request("GET", response.getheader("Location"))
    assert response.status == 200
    assert MEMBER.encode() in content or b"Martin" in content

    # The worker renders the validated invoices' PDFs in the background.
    query = (
        "from coin.billing.models import Invoice; "
        f"i = Invoice.objects.filter(member__username='{MEMBER}').exclude(pdf='').order_by('-pk').first(); "
        "print('PDF', i.pk, i.pdf.name) if i else None"
    )

    def rendered():
        return re.search(r"^PDF (\d+) (\S+)$", manage(src, "shell", "-c", query), re.M)

    pk, name = wait_for(rendered, "the worker to render a PDF", 120).groups()
    stored = deployment["prefix"] / "var/lib/coin/private" / name
    response, content = browser.request("GET", f"/billing/invoices/{pk}/pdf/")
    assert response.status == 200, content[:500]
    assert response.getheader("Content-Type") == "application/pdf"
    assert response.getheader("X-Accel-Redirect") is None  # nginx acted on it
    assert content.startswith(b"%PDF") and content == stored.read_bytes()

    # The private folder is not reachable directly.
    response, _ = browser.request("GET", f"/protected/{name}")
    assert response.status == 404


def test_the_backup_service_dumps_the_database(deployment):
    unit = read_unit(deployment["units"] / "coin-backup.service")
    command = unit_command(unit["Service"]["ExecStart"][0])
    environment = [f"{k}={v}" for k, v in unit_environment(unit).items()]
    result = run(["runuser", "-u", "coin", "--", "env", *environment, *command], cwd="/")
    assert result.returncode == 0, result.stderr
    backups = deployment["prefix"] / "var/backups/coin"
    dumps = sorted(backups.glob("coin-*.dump"))
    assert len(dumps) == 1 and sorted(backups.glob("private-*.tar.gz"))
    listing = run(["pg_restore", "--list", str(dumps[0])])
    assert listing.returncode == 0 and "billing_invoice" in listing.stdout


def test_a_rerun_after_an_upgrade_applies_the_migrations_and_restarts(deployment):
    """Last in the module: it changes the deployment. A new commit upstream that brings a
    migration is what `git pull` then a re-run of the role sees."""
    upstream = deployment["upstream"]
    migrations = upstream / "coin/members/migrations"
    latest = max(path.stem for path in migrations.glob("[0-9][0-9][0-9][0-9]_*.py"))
    name = f"{int(latest[:4]) + 1:04d}_upgrade_check"
    (migrations / f"{name}.py").write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('members', '{latest}')]\n"
        "    operations = []\n"
    )
    run(["git", "add", "."], cwd=upstream)
    committed = run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@coin.test", "commit", "-qm", "An upgrade"],
        cwd=upstream,
    )
    assert committed.returncode == 0, committed.stderr
    assert name not in manage(deployment["src"], "showmigrations", "members")

    output, counters = play(deployment["inventory"], deployment["extra_vars"])

    assert counters["changed"] > 0 and counters["failed"] == 0
    assert f"[X] {name}" in manage(deployment["src"], "showmigrations", "members")
    assert "RUNNING HANDLER [coin : Restart coin]" in output
