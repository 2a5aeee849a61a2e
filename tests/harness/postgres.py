"""Run a command against a private, throw-away PostgreSQL cluster.

    python -m tests.harness.postgres -- pytest ...

The cluster lives in a temporary folder, listens on a unix socket only (no TCP
port), and is stopped and deleted when the command ends. The command gets
COIN_DATABASE_URL pointing at it. When run as root, the server runs as the
``postgres`` system user (initdb refuses root).
"""

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


def postgres_bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not candidates:
        raise SystemExit("PostgreSQL server binaries not found: apt-get install postgresql")
    return Path(candidates[0]).parent


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def private_cluster() -> Iterator[str]:
    """Start a cluster and yield its database URL."""
    bin_dir = postgres_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="coin-pg-"))
    data, socket_dir = root / "data", root / "sock"
    socket_dir.mkdir()
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
        shutil.chown(socket_dir, "postgres", "postgres")
    os.chmod(root, 0o755)
    log = data / "server.log"
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-c listen_addresses='' -k {socket_dir} -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off -c max_connections=200"
        )
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-w",
                    "-o",
                    options,
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        try:
            subprocess.run(
                _as_server_user([str(bin_dir / "createdb"), "-h", str(socket_dir), "-U", "postgres", "coin"]),
                check=True,
            )
            yield f"postgres://postgres@/coin?host={socket_dir}"
        finally:
            subprocess.run(
                _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                check=False,
                stdout=subprocess.DEVNULL,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        raise SystemExit("usage: python -m tests.harness.postgres -- COMMAND [ARGS...]")
    with private_cluster() as url:
        print(f"private PostgreSQL cluster: {url}", flush=True)
        return subprocess.run(argv, env={**os.environ, "COIN_DATABASE_URL": url}).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
