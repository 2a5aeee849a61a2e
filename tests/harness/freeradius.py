"""A private, throw-away FreeRADIUS (Debian's freeradius 3.2) for tests and benchmarks.

    python -m tests.harness.freeradius --sqlite FILE -- COMMAND [ARGS...]
    python -m tests.harness.freeradius --postgresql "host=/sock dbname=coin user=postgres" -- COMMAND

builds a configuration folder from Debian's /etc/freeradius/3.0 with Coin's own
``contrib/freeradius/`` files (``sql``: the sql module, ``site``: the ``coin`` virtual
server, ``policy``: ``coin_filter_username``), installed in its ``coin/`` folder and
linked as README's production section says, pointed at the given database, and serves it on
127.0.0.1 on two free ports (authentication and accounting). Its clients are the
BNGs in the ``nas`` table, read when it starts. The command gets RADIUS_* environment
variables. As a library: ``with private_freeradius(database) as server``. The server
is stopped by its PID.

``private_freeradius(None, coa_clients={"127.0.0.1": "secret"})`` plays a BNG instead:
Debian's ``sites-available/coa`` virtual server (``listen { type = coa }``) on a free
port of 127.0.0.1, answering the CoA-Requests and Disconnect-Requests of those clients
only (their own ``clients`` section), after FreeRADIUS checked their Request
Authenticator and Message-Authenticator with the client's secret; a request for the
User-Name ``NAK_USER`` gets a NAK with Error-Cause 503 (Session-Context-Not-Found).

Missing packages are an error, never a skip: ``apt-get install freeradius
freeradius-utils freeradius-postgresql`` (scripts/bootstrap.sh test does it).
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRIB = ROOT / "contrib" / "freeradius"
SYSTEM_CONFIG = Path("/etc/freeradius/3.0")
BINARY = "/usr/sbin/freeradius"
#: The modules Coin's site uses (everything else of Debian's mods-enabled is left out).
MODULES = ["always", "attr_filter", "chap", "mschap", "pap", "preprocess", "expr"]
#: The modules Debian's coa site uses (``suffix`` is in ``realm``).
COA_MODULES = ["always", "realm"]
#: The User-Name the CoA server answers with a NAK (Error-Cause 503).
NAK_USER = "no-such-session"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_installed() -> None:
    """Raise a clear error when Debian's FreeRADIUS packages are missing."""
    missing = [
        package
        for package, path in (
            ("freeradius", BINARY),
            ("freeradius-utils", "/usr/bin/radclient"),
            ("freeradius-postgresql", "/usr/lib/freeradius/rlm_sql_postgresql.so"),
        )
        if not Path(path).exists()
    ]
    if missing or not SYSTEM_CONFIG.is_dir():
        raise RuntimeError(
            f"FreeRADIUS not installed ({', '.join(missing) or SYSTEM_CONFIG}): "
            "apt-get install freeradius freeradius-utils freeradius-postgresql (scripts/bootstrap.sh test)"
        )


def _set(text: str, key: str, value: str, count: int = 1) -> str:
    """Replace the first ``key = ...`` assignment(s) of a FreeRADIUS config file."""
    pattern = re.compile(rf"^(\s*){re.escape(key)}\s*=.*$", re.MULTILINE)
    new, n = pattern.subn(lambda m: f"{m.group(1)}{key} = {value}", text, count=count)
    if n == 0:
        raise RuntimeError(f"no '{key} =' line to set")
    return new


@dataclass
class Reply:
    """What radclient printed for one answer: its code and attributes in order."""

    code: str
    attributes: list[tuple[str, str]] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        return [value for attribute, value in self.attributes if attribute == name]


def parse_reply(output: str) -> Reply:
    """The first received packet of radclient's output."""
    code, attributes, receiving = "", [], False
    for line in output.splitlines():
        if line.startswith("Received "):
            code, receiving = line.split()[1], True
            continue
        if receiving:
            if not line.startswith(("\t", " ")):
                break
            name, _, value = line.strip().partition(" = ")
            attributes.append((name, value.strip('"')))
    return Reply(code=code or "no reply", attributes=attributes)


class FreeRadius:
    """One private FreeRADIUS. ``database`` is ``{"dialect": "postgresql", "conninfo":
    "..."}`` or ``{"dialect": "sqlite", "filename": "..."}``."""

    def __init__(
        self, root: Path, database: dict[str, str] | None, coa_clients: dict[str, str] | None = None
    ):
        check_installed()
        self.root = root
        self.database = database
        self.coa_clients = coa_clients or {}
        ports: set[int] = set()
        while len(ports) < 3:
            ports.add(_free_port())
        self.auth_port, self.acct_port, self.coa_port = sorted(ports)
        self.raddb = root / "raddb"
        self.log_path = root / "radiusd.log"
        self.process: subprocess.Popen | None = None
        self._configure()

    @property
    def env(self) -> dict[str, str]:
        return {
            "RADIUS_HOST": "127.0.0.1",
            "RADIUS_AUTH_PORT": str(self.auth_port),
            "RADIUS_ACCT_PORT": str(self.acct_port),
            "RADIUS_COA_PORT": str(self.coa_port),
            "RADIUS_RADDB": str(self.raddb),
        }

    def _configure(self) -> None:
        shutil.copytree(SYSTEM_CONFIG, self.raddb, symlinks=True)
        for folder in ("sites-enabled", "mods-enabled"):
            shutil.rmtree(self.raddb / folder)
            (self.raddb / folder).mkdir()
        (self.root / "log").mkdir()
        (self.root / "run").mkdir()
        conf = (self.raddb / "radiusd.conf").read_text()
        for key, value in (
            ("raddbdir", str(self.raddb)),
            ("logdir", str(self.root / "log")),
            ("run_dir", str(self.root / "run")),
            ("reject_delay", "0"),
            ("proxy_requests", "no"),
            ("start_servers", "2"),
        ):
            conf = _set(conf, key, value)
        conf = re.sub(r"^(\s*)(user|group) = .*$", r"\1# \2 dropped by the harness", conf, flags=re.MULTILINE)
        (self.raddb / "radiusd.conf").write_text(conf)
        (self.raddb / "clients.conf").write_text("# clients come from the nas table (Coin's BNGs)\n")
        if self.database is not None:
            self._configure_coin(self.database)
        if self.coa_clients:
            self._configure_coa()

    def _configure_coin(self, database: dict[str, str]) -> None:
        # As README's production section installs them: the files in raddb/coin/, linked
        # from policy.d/, sites-enabled/ and mods-enabled/ (with the test's ports and database).
        coin = self.raddb / "coin"
        coin.mkdir()
        shutil.copy(CONTRIB / "policy", coin / "policy")
        site = (CONTRIB / "site").read_text()
        site = site.replace("ipaddr = *", "ipaddr = 127.0.0.1")
        site = _set(site, "port", str(self.auth_port))
        site = site.replace("port = 1813", f"port = {self.acct_port}")
        (coin / "site").write_text(site)
        sql = (CONTRIB / "sql").read_text()
        dialect = database["dialect"]
        sql = _set(sql, "dialect", f'"{dialect}"')
        if dialect == "sqlite":
            sql = _set(sql, "filename", f'"{database["filename"]}"')
        else:
            sql = _set(sql, "radius_db", '"' + database["conninfo"] + '"')
        (coin / "sql").write_text(sql)
        (self.raddb / "policy.d" / "coin").symlink_to("../coin/policy")
        (self.raddb / "sites-enabled" / "coin").symlink_to("../coin/site")
        (self.raddb / "mods-enabled" / "sql").symlink_to("../coin/sql")
        self._enable(MODULES)

    def _enable(self, modules: list[str]) -> None:
        for module in modules:
            link = self.raddb / "mods-enabled" / module
            if not link.exists():
                link.symlink_to(f"../mods-available/{module}")

    def _configure_coa(self) -> None:
        """Debian's sites-available/coa on 127.0.0.1 and the CoA port, for its own
        clients (Coin, sending), with one NAK rule before Debian's policy."""
        site = (self.raddb / "sites-available" / "coa").read_text()
        site = _set(site, "ipaddr", "127.0.0.1")
        site = _set(site, "port", str(self.coa_port))
        site, found = re.subn(
            r"^(\s*)virtual_server = coa$", r"\1virtual_server = coa\n\1clients = coin_coa_clients", site,
            count=1, flags=re.MULTILINE,
        )  # fmt: skip
        nak = (
            "\trecv-coa {\n"
            f'\t\tif (&User-Name == "{NAK_USER}") {{\n'
            "\t\t\tupdate reply {\n\t\t\t\t&Error-Cause := Session-Context-Not-Found\n\t\t\t}\n"
            "\t\t\treject\n\t\t}\n"
        )
        site, found_recv = re.subn(r"^\trecv-coa \{\n", lambda _m: nak, site, count=1, flags=re.MULTILINE)
        if not (found and found_recv):
            raise RuntimeError("Debian's sites-available/coa has changed: no listen or recv-coa to adapt")
        clients = "".join(
            f"\tclient coin-{n} {{\n\t\tipaddr = {address}\n\t\tsecret = {secret}\n\t}}\n"
            for n, (address, secret) in enumerate(self.coa_clients.items())
        )
        site += f"\nclients coin_coa_clients {{\n{clients}}}\n"
        (self.raddb / "sites-enabled" / "coa").write_text(site)
        self._enable(COA_MODULES)

    def start(self) -> None:
        if self.process is not None:
            return
        log = open(self.log_path, "ab")  # noqa: SIM115 (owned by the child)
        self.process = subprocess.Popen(
            [BINARY, "-X", "-d", str(self.raddb)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            if "Ready to process requests" in text:
                return
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"freeradius exited:\n{text[-4000:]}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("freeradius was not ready within 15 s:\n" + self.log_path.read_text()[-4000:])

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    # --- the command-line tools, as an admin (or a BNG) would use them ---
    def radtest(self, login: str, password: str, secret: str) -> Reply:
        """An Access-Request with a PAP password, sent by Debian's radtest."""
        result = subprocess.run(
            ["radtest", "-t", "pap", login, password, f"127.0.0.1:{self.auth_port}", "0", secret],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return parse_reply(result.stdout)

    def radclient(self, kind: str, attributes: dict[str, str] | list[tuple[str, str]], secret: str) -> Reply:
        """Send one packet (``kind``: auth, acct) with radclient; the reply as parsed."""
        port = self.auth_port if kind == "auth" else self.acct_port
        pairs = attributes.items() if isinstance(attributes, dict) else attributes
        body = "\n".join(f'{name} = "{value}"' for name, value in pairs) + "\n"
        result = subprocess.run(
            ["radclient", "-x", "-r", "1", "-t", "5", f"127.0.0.1:{port}", kind, secret],
            input=body,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return parse_reply(result.stdout)


@contextlib.contextmanager
def private_freeradius(
    database: dict[str, str] | None, coa_clients: dict[str, str] | None = None
) -> Iterator[FreeRadius]:
    root = Path(tempfile.mkdtemp(prefix="coin-freeradius-"))
    server = None
    try:
        server = FreeRadius(root, database, coa_clients)
        server.start()
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    options = argv[: argv.index("--")] if "--" in argv else argv
    if len(options) != 2 or options[0] not in ("--sqlite", "--postgresql") or not command:
        raise SystemExit(
            "usage: python -m tests.harness.freeradius (--sqlite FILE | --postgresql CONNINFO) -- COMMAND"
        )
    database = (
        {"dialect": "sqlite", "filename": options[1]}
        if options[0] == "--sqlite"
        else {"dialect": "postgresql", "conninfo": options[1]}
    )
    with private_freeradius(database) as server:
        print(f"private FreeRADIUS: auth 127.0.0.1:{server.auth_port}, acct :{server.acct_port}", flush=True)
        return subprocess.run(command, env={**os.environ, **server.env}).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
