"""What the deployment tests share: the system tools they need, and reading unit files.

The tools come from Debian (scripts/bootstrap.sh test installs them). A missing tool
fails the test with the command that installs it: these checks never skip.
"""

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRIB = REPO / "contrib"
ANSIBLE_DIR = CONTRIB / "ansible"


def tool(name: str) -> str:
    """The path of a system command, or a failure saying how to install it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run scripts/bootstrap.sh test (as root).")
    return path


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without the test suite's COIN_* and DJANGO_* variables
    (its database, its extra apps): a deployed Coin reads only its own settings."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("COIN_", "DJANGO_"))}
    return {**kept, **extra}


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command in a clean environment, capturing its output as text; never raises."""
    kwargs.setdefault("env", clean_environment())
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as {section: {key: [values]}}, continuation lines joined."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    pending = ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def unit_command(value: str) -> list[str]:
    """An Exec*= line as argv, with systemd's "$$" and "%%" escapes undone."""
    return [word.replace("$$", "$").replace("%%", "%") for word in shlex.split(value)]


def unit_environment(unit: dict[str, dict[str, list[str]]]) -> dict[str, str]:
    """The Environment= assignments of a unit's [Service] section."""
    environment = {}
    for value in unit.get("Service", {}).get("Environment", []):
        for assignment in shlex.split(value):
            key, _, item = assignment.partition("=")
            environment[key] = item
    return environment


def verify_units(unit_dir: Path, root: Path | None = None) -> subprocess.CompletedProcess:
    """systemd-analyze verify on every unit and timer of a folder (optionally under --root)."""
    names = sorted(p.name for p in unit_dir.iterdir() if p.suffix in {".service", ".timer"})
    command = [tool("systemd-analyze"), "verify", "--man=no"]
    if root is not None:
        command.append(f"--root={root}")
    return run([*command, *(names if root is not None else [str(unit_dir / n) for n in names])], cwd=unit_dir)


def coin_unit_problems(result: subprocess.CompletedProcess) -> list[str]:
    """What systemd-analyze verify said about Coin's units (it also speaks of the system's
    own units it loads, e.g. a Debian package's deprecated setting: not ours to judge)."""
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if line.strip() and not line.startswith(("/lib/", "/usr/lib/"))]


def self_signed_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A throw-away certificate and key for nginx, made with openssl."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    result = run(
        [
            tool("openssl"),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=DNS:{name}",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ]
    )
    assert result.returncode == 0, result.stderr
    return certificate, key


def nginx_conf(folder: Path, site_include: str, user: str | None = None) -> Path:
    """A private nginx.conf (pid, logs and temporary files in folder) that includes a site."""
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    lines = [f"user {user};" if user else "", "worker_processes 1;", f"pid {folder}/nginx.pid;"]
    lines += [f"error_log {folder}/error.log;", "events { worker_connections 64; }", "http {"]
    lines += ["    include /etc/nginx/mime.types;", f"    access_log {folder}/access.log;"]
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        lines.append(f"    {kind}_temp_path {temp}/{kind};")
    lines += [f"    include {site_include};", "}"]
    conf = folder / "nginx.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf
