"""A private, throw-away OpenLDAP server (Debian's slapd) for tests and benchmarks.

    python -m tests.harness.slapd -- COMMAND [ARGS...]

builds a cn=config in a temporary folder (schemas core, cosine, inetorgperson, nis,
then FreeRADIUS's radiusprofile subset and Coin's coin-vpn schema from vpn/ldap/;
modules back_mdb, argon2 and pw-sha2), an mdb database for ``dc=coin,dc=test`` with
``ou=vpn`` and ``ou=members`` under it, and serves it on 127.0.0.1 on a free port and on an ldapi://
unix socket (which also reaches into network namespaces). The command gets the
LDAP_* environment variables. As a library: ``with private_slapd() as server``.
The server is stopped by its PID.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_SCHEMAS = [
    Path("/etc/ldap/schema") / f"{name}.ldif" for name in ("core", "cosine", "inetorgperson", "nis")
]
PROJECT_SCHEMAS = [ROOT / "vpn" / "ldap" / "radiusprofile.ldif", ROOT / "vpn" / "ldap" / "coin-vpn.ldif"]
SUFFIX = "dc=coin,dc=test"
VPN_BASE = f"ou=vpn,{SUFFIX}"
MEMBERS_BASE = f"ou=members,{SUFFIX}"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "slapd-test-admin"  # noqa: S105 (a throw-away server)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


class Slapd:
    """One private slapd. ``start()`` / ``stop()`` may be called again (a test can
    take the directory down and bring it back on the same port and socket)."""

    def __init__(self, root: Path):
        for tool in ("slapd", "slapadd", "slappasswd", "ldapsearch"):
            if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
                raise RuntimeError(f"{tool} not found: apt-get install slapd ldap-utils")
        self.root = root
        self.port = _free_port()
        self.url = f"ldap://127.0.0.1:{self.port}/"
        self.socket_path = root / "ldapi"
        self.ldapi_url = "ldapi://" + urllib.parse.quote(str(self.socket_path), safe="")
        self.suffix, self.base_dn, self.members_dn = SUFFIX, VPN_BASE, MEMBERS_BASE
        self.root_dn, self.root_password = ROOT_DN, ROOT_PASSWORD
        self.process: subprocess.Popen | None = None
        self._configure()

    @property
    def env(self) -> dict[str, str]:
        return {
            "LDAP_URI": self.url,
            "LDAP_BIND_DN": self.root_dn,
            "LDAP_BIND_PASSWORD": self.root_password,
            "VPN_LDAP_BASE_DN": self.base_dn,
            "MEMBERS_LDAP_BASE_DN": self.members_dn,
            "LDAPI_URI": self.ldapi_url,
        }

    def _configure(self) -> None:
        config_dir, data_dir = self.root / "slapd.d", self.root / "data"
        config_dir.mkdir()
        data_dir.mkdir()
        hashed = _run(["slappasswd", "-s", self.root_password]).stdout.strip()
        peer = f"gidNumber={os.getegid()}+uidNumber={os.geteuid()},cn=peercred,cn=external,cn=auth"
        includes = "\n".join(f"include: file://{path}" for path in [*SYSTEM_SCHEMAS, *PROJECT_SCHEMAS])
        config = f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {self.root}/slapd.pid
olcArgsFile: {self.root}/slapd.args

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: argon2
olcModuleLoad: pw-sha2

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{includes}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by dn.exact={peer} manage by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {data_dir}
olcSuffix: {SUFFIX}
olcRootDN: {ROOT_DN}
olcRootPW: {hashed}
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcDbIndex: member eq
olcAccess: {{0}}to attrs=userPassword by anonymous auth by * none
olcAccess: {{1}}to * by users read by * none
"""
        (self.root / "config.ldif").write_text(config)
        _run(["slapadd", "-n0", "-F", str(config_dir), "-l", str(self.root / "config.ldif")])
        base = f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: coin
o: Coin tests

dn: {VPN_BASE}
objectClass: organizationalUnit
ou: vpn

dn: {MEMBERS_BASE}
objectClass: organizationalUnit
ou: members
"""
        (self.root / "base.ldif").write_text(base)
        _run(["slapadd", "-n1", "-F", str(config_dir), "-l", str(self.root / "base.ldif")])

    def start(self) -> None:
        if self.process is not None:
            return
        self.socket_path.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                "slapd",
                "-h",
                f"{self.url} {self.ldapi_url}",
                "-F",
                str(self.root / "slapd.d"),
                "-d",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "slapd.log", "ab"),  # noqa: SIM115 (owned by the child)
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.root / "slapd.log").read_text(errors="replace")
                raise RuntimeError(f"slapd exited ({self.process.returncode}):\n{log[-3000:]}")
            answer = subprocess.run(
                ["ldapsearch", "-x", "-H", self.url, "-D", self.root_dn, "-w", self.root_password,
                 "-b", self.suffix, "-s", "base", "-LLL", "dn"],
                capture_output=True,
            )  # fmt: skip
            if answer.returncode == 0:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("slapd did not answer within 10 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    # --- helpers for tests: the command-line tools, as an admin would use them ---
    def tool(self, name: str, *args: str, input: str | None = None, check: bool = True):
        return subprocess.run(
            [name, "-x", "-H", self.url, "-D", self.root_dn, "-w", self.root_password, *args],
            input=input,
            capture_output=True,
            text=True,
            check=check,
        )

    def search(self, login: str) -> dict[str, list[str]] | None:
        """The entry of an account as ``ldapsearch`` prints it (attribute -> values),
        None when it does not exist."""
        result = self.tool(
            "ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", f"uid={login},{self.base_dn}", "-s", "base",
            "*", check=False,
        )  # fmt: skip
        if result.returncode == 32:  # noSuchObject
            return None
        result.check_returncode()
        return parse_ldif(result.stdout)

    def entries(self) -> dict[str, dict[str, list[str]]]:
        """Every account under the VPN base, by uid."""
        result = self.tool("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", self.base_dn, "-s", "one", "*")
        return {entry["uid"][0]: entry for entry in parse_ldif_entries(result.stdout)}

    def whoami(self, login: str, password: str) -> subprocess.CompletedProcess:
        """``ldapwhoami`` bound as the account itself."""
        return subprocess.run(
            ["ldapwhoami", "-x", "-H", self.url, "-D", f"uid={login},{self.base_dn}", "-w", password],
            capture_output=True,
            text=True,
        )

    def bind(self, dn: str, password: str) -> subprocess.CompletedProcess:
        """``ldapwhoami`` bound as ``dn`` with ``password`` (returncode 0: it binds)."""
        return subprocess.run(
            ["ldapwhoami", "-x", "-H", self.url, "-D", dn, "-w", password], capture_output=True, text=True
        )

    def read(self, dn: str, *attributes: str) -> dict[str, list[str]] | None:
        """One entry as ``ldapsearch`` prints it, None when it does not exist."""
        result = self.tool(
            "ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", dn, "-s", "base", *(attributes or ("*",)),
            check=False,
        )  # fmt: skip
        if result.returncode == 32:  # noSuchObject
            return None
        result.check_returncode()
        return parse_ldif(result.stdout)

    def clear(self) -> None:
        """Delete every entry under the VPN and members bases."""
        for base in (self.base_dn, self.members_dn):
            result = self.tool("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", base, "-s", "one", "dn")
            dns = [line[4:] for line in result.stdout.splitlines() if line.startswith("dn: ")]
            if dns:
                self.tool("ldapdelete", input="\n".join(dns) + "\n")


def parse_ldif_entries(text: str) -> list[dict[str, list[str]]]:
    import base64

    entries = []
    for block in text.strip().split("\n\n"):
        entry: dict[str, list[str]] = {}
        for line in block.splitlines():
            if not line or line.startswith("#"):
                continue
            name, _, value = line.partition(":")
            if value.startswith(":"):
                value = base64.b64decode(value[1:].strip()).decode()
            else:
                value = value.strip()
            entry.setdefault(name, []).append(value)
        if entry:
            entries.append(entry)
    return entries


def parse_ldif(text: str) -> dict[str, list[str]] | None:
    entries = parse_ldif_entries(text)
    return entries[0] if entries else None


@contextlib.contextmanager
def private_slapd() -> Iterator[Slapd]:
    root = Path(tempfile.mkdtemp(prefix="coin-slapd-"))
    os.chmod(root, 0o755)
    server = None
    try:
        server = Slapd(root)
        server.start()
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        raise SystemExit("usage: python -m tests.harness.slapd -- COMMAND [ARGS...]")
    with private_slapd() as server:
        print(f"private slapd: {server.url} and {server.ldapi_url}", flush=True)
        return subprocess.run(argv, env={**os.environ, **server.env}).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
