"""The deployment files on their own: contrib/systemd and contrib/nginx are what the
Ansible role installs with its default paths, systemd-analyze and nginx accept them,
ansible-lint accepts the role, ruby accepts the Vagrantfile, and the timers keep the
schedule README gives to admins without systemd."""

import filecmp
import re
import shutil

import pytest

from tests.deploy.tools import (
    ANSIBLE_DIR,
    CONTRIB,
    REPO,
    clean_environment,
    coin_unit_problems,
    nginx_conf,
    read_unit,
    run,
    self_signed_certificate,
    tool,
    unit_command,
    verify_units,
)

pytestmark = pytest.mark.deploy

SYSTEMD_DIR = CONTRIB / "systemd"
NGINX_SITE = CONTRIB / "nginx" / "coin.conf"


def ansible_environment() -> dict[str, str]:
    return clean_environment(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")


def test_contrib_files_are_what_the_role_installs(tmp_path):
    """contrib/systemd and contrib/nginx are the role's templates with its defaults
    (regenerate them with `make deploy-files` after changing a template)."""
    (tmp_path / "systemd").mkdir()
    (tmp_path / "nginx").mkdir()
    result = run(
        [tool("ansible-playbook"), str(ANSIBLE_DIR / "render.yml"), "-e", f"coin_contrib={tmp_path}"],
        env=ansible_environment(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for folder in ("systemd", "nginx"):
        comparison = filecmp.dircmp(tmp_path / folder, CONTRIB / folder)
        assert not comparison.left_only, f"contrib/{folder} lacks {comparison.left_only}: make deploy-files"
        assert not comparison.right_only, f"contrib/{folder} has extra {comparison.right_only}"
        _, mismatch, errors = filecmp.cmpfiles(
            tmp_path / folder, CONTRIB / folder, comparison.common_files, shallow=False
        )
        assert not mismatch and not errors, f"contrib/{folder}: {mismatch} differ: make deploy-files"


def test_systemd_analyze_accepts_every_unit_and_timer(tmp_path):
    """Verified in a throw-away root holding the system's units and a stand-in for each
    program the units start (the real programs are checked by the deployment run)."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    unit_dir = root / "etc/systemd/system"
    shutil.copytree(SYSTEMD_DIR, unit_dir)
    units = sorted(SYSTEMD_DIR.glob("*.service"))
    for path in units:
        for key, values in read_unit(path)["Service"].items():
            if key.startswith("Exec"):
                for value in values:
                    program = root / unit_command(value)[0].lstrip("/")
                    program.parent.mkdir(parents=True, exist_ok=True)
                    program.write_text("#!/bin/sh\n")
                    program.chmod(0o755)
    result = verify_units(unit_dir, root=root)
    assert result.returncode == 0 and not coin_unit_problems(result), result.stdout + result.stderr
    timers = sorted(SYSTEMD_DIR.glob("*.timer"))
    assert len(timers) == 11 and len(units) == 13
    for timer in timers:
        assert (SYSTEMD_DIR / read_unit(timer)["Timer"]["Unit"][0]).is_file()


def test_systemd_analyze_rejects_a_broken_unit(tmp_path):
    """The check above can fail: a misspelt key is reported."""
    unit = tmp_path / "coin-broken.service"
    unit.write_text("[Service]\nType=oneshot\nExecStart=/bin/true\nExecStrat=/bin/false\n")
    result = verify_units(tmp_path)
    assert any("Unknown key 'ExecStrat'" in line for line in coin_unit_problems(result))


def _cron_schedule() -> dict[str, str]:
    """README's cron lines as {command: 'minute hour day-of-week'}."""
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```cron\n(.*?)```", readme, re.S)
    assert block, "README.md has no ```cron block"
    schedule = {}
    for line in block.group(1).splitlines():
        if line.startswith("#") or not line.strip():
            continue
        minute, hour, _, _, dow, *command = line.split()
        schedule[command[-1]] = f"{minute} {hour} {dow}"
    return schedule


def _as_cron(on_calendar: str) -> str:
    """The few OnCalendar forms the timers use, written as cron's minute, hour, weekday."""
    if match := re.fullmatch(r"\*:0/(\d+)", on_calendar):
        return f"*/{match.group(1)} * *"
    match = re.fullmatch(r"(?:(\w{3}) )?\*-\*-\* (\d\d):(\d\d):00", on_calendar)
    assert match, on_calendar
    day = {"Sun": "0", None: "*"}[match.group(1)]
    return f"{int(match.group(3))} {int(match.group(2))} {day}"


def test_timers_keep_the_schedule_of_the_readme():
    timers = {}
    for path in SYSTEMD_DIR.glob("coin-*.service"):
        start = read_unit(path)["Service"]["ExecStart"][0]
        if "manage.py" in start and "db_worker" not in start:
            timer = read_unit(path.with_suffix(".timer"))
            timers[unit_command(start)[-1]] = _as_cron(timer["Timer"]["OnCalendar"][0])
    assert timers == _cron_schedule()


def test_nginx_accepts_the_site(tmp_path):
    """nginx -t on the site, with a throw-away certificate in place of the ISP's."""
    certificate, key = self_signed_certificate(tmp_path, "coin.isp.example")
    site = NGINX_SITE.read_text()
    assert "location /protected/ {\n        internal;" in site
    site = re.sub(r"ssl_certificate .*;", f"ssl_certificate {certificate};", site)
    site = re.sub(r"ssl_certificate_key .*;", f"ssl_certificate_key {key};", site)
    (tmp_path / "coin.conf").write_text(site)
    conf = nginx_conf(tmp_path, str(tmp_path / "coin.conf"))
    result = run([tool("nginx"), "-t", "-p", str(tmp_path), "-c", str(conf)])
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr
    (tmp_path / "coin.conf").write_text(site.replace("internal;", "internal_only;"))
    assert run([tool("nginx"), "-t", "-p", str(tmp_path), "-c", str(conf)]).returncode != 0


def test_ansible_lint_accepts_the_role_and_playbooks():
    result = run([tool("ansible-lint"), "--offline", "--nocolor"], cwd=ANSIBLE_DIR, env=ansible_environment())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failure(s), 0 warning(s)" in result.stdout + result.stderr


def test_the_playbook_refuses_to_run_without_a_secret_key(tmp_path):
    """No default secret: the play stops at once, naming the variable and the vault."""
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[coin]\nlocalhost ansible_connection=local ansible_python_interpreter=python3\n")
    result = run(
        [
            tool("ansible-playbook"),
            "-i",
            str(inventory),
            str(ANSIBLE_DIR / "site.yml"),
            "-e",
            "coin_git_repo=/nowhere coin_server_name=coin.isp.example",
        ],
        env=ansible_environment(),
    )
    assert result.returncode != 0
    assert "coin_secret_key is not set" in result.stdout
    assert "changed=0" in result.stdout


def test_ruby_accepts_the_vagrantfile():
    result = run([tool("ruby"), "-c", str(REPO / "Vagrantfile")])
    assert result.returncode == 0 and "Syntax OK" in result.stdout, result.stderr
