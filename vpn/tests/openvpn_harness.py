"""A real OpenVPN server and client on 127.0.0.1, inside a network namespace that
the test creates (``unshare -n``), so that tunnel addresses never reach the real
network. The server runs contrib/openvpn/ as shipped, with its paths pointed at a
temporary folder; it reaches the private slapd through its ldapi:// socket, which
crosses the namespace."""

import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

CONTRIB = Path(__file__).resolve().parents[2] / "contrib" / "openvpn"


def _run(*command: str, cwd: Path | None = None) -> None:
    subprocess.run(command, check=True, capture_output=True, cwd=cwd)


def make_certificates(folder: Path) -> None:
    """A CA and a server certificate (serverAuth, for remote-cert-tls server)."""
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _run("openssl", "req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=Coin test CA", cwd=folder)  # fmt: skip
    (folder / "server.ext").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth\n"
    )
    _run("openssl", "req", *key, "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=vpn.coin.test", cwd=folder)  # fmt: skip
    _run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
         cwd=folder)  # fmt: skip


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Namespace:
    """A network namespace held open by a sleeping process; commands join it with
    nsenter."""

    def __init__(self) -> None:
        self.holder = subprocess.Popen(["unshare", "-n", "sleep", "600"])
        deadline = time.monotonic() + 5
        while not self._entered():
            if time.monotonic() > deadline:
                raise RuntimeError("unshare -n did not create a network namespace (root needed)")
            time.sleep(0.02)
        subprocess.run(self.prefix("ip", "link", "set", "lo", "up"), check=True)

    def _entered(self) -> bool:
        try:
            return Path(f"/proc/{self.holder.pid}/ns/net").readlink() != Path("/proc/self/ns/net").readlink()
        except OSError:
            return False

    def prefix(self, *command: str) -> list[str]:
        return ["nsenter", "-t", str(self.holder.pid), "-n", *command]

    def close(self) -> None:
        self.holder.kill()
        self.holder.wait()


class OpenVPNServer:
    def __init__(self, folder: Path, namespace: Namespace, slapd) -> None:
        self.folder, self.namespace = folder, namespace
        self.port = free_udp_port()
        make_certificates(folder)
        shutil.copy(CONTRIB / "client-connect.py", folder / "client-connect.py")
        here = f"{folder}/"
        replacements = {
            "/etc/openvpn/coin/": here,
            "port 1194": f"port {self.port}",
            "local 0.0.0.0": "local 127.0.0.1",
            "/usr/bin/python3": sys.executable,
            "/run/openvpn-coin.status 10": f"{here}status 1",
            "ldapi://%2Frun%2Fslapd%2Fldapi": slapd.ldapi_url,
            "cn=openvpn,dc=isp,dc=example": slapd.root_dn,
            "change-me": slapd.root_password,
            "ou=vpn,dc=isp,dc=example": slapd.base_dn,
        }
        for name in ("server.conf", "auth-ldap.conf", "client-connect.ini"):
            text = (CONTRIB / name).read_text()
            for old, new in replacements.items():
                text = text.replace(old, new)
            (folder / name).write_text(text)
        self.log = folder / "server.log"
        self.process = subprocess.Popen(
            namespace.prefix("openvpn", "--config", str(folder / "server.conf"), "--log", str(self.log)),
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self.wait_for_log("Initialization Sequence Completed", timeout=15)

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.exists() and text in self.log.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"OpenVPN server: no {text!r}:\n{self.log_text()[-4000:]}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def routing_table(self, login: str, expect: str = "", timeout: float = 5) -> dict[str, str]:
        """Virtual addresses and iroutes of connected clients -> login, from the status
        file (rewritten every second), once it lists ``login`` (and ``expect``)."""
        deadline = time.monotonic() + timeout
        while True:
            path = self.folder / "status"
            routes = {}
            for line in path.read_text().splitlines() if path.exists() else []:
                if line.startswith("ROUTING_TABLE,"):
                    fields = line.split(",")
                    routes[fields[1]] = fields[2]
            found = login in routes.values() and (not expect or expect in routes)
            if found or time.monotonic() > deadline:
                return routes
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ClientResult:
    def __init__(self, connected: bool, log: str, addresses: str) -> None:
        self.connected, self.log, self.addresses = connected, log, addresses

    def pushed(self) -> str:
        match = re.search(r"PUSH: Received control message: '([^']*)'", self.log)
        return match.group(1) if match else ""


def connect_client(
    folder: Path, namespace: Namespace, profile: str, login: str, password: str
) -> ClientResult:
    """Run the member's .ovpn profile with their login and password until it
    connects or is refused; report what it received and the tun addresses."""
    folder.mkdir(exist_ok=True)
    (folder / "client.ovpn").write_text(profile)
    (folder / "credentials").write_text(f"{login}\n{password}\n")
    log = folder / "client.log"
    log.unlink(missing_ok=True)
    process = subprocess.Popen(
        namespace.prefix(
            "openvpn",
            "--config",
            str(folder / "client.ovpn"),
            "--auth-user-pass",
            str(folder / "credentials"),
            "--auth-retry",
            "none",
            "--dev",
            "tun",
            "--connect-retry-max",
            "1",
            "--log",
            str(log),
        ),  # fmt: skip
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    connected, addresses = False, ""
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            if "Initialization Sequence Completed" in text:
                connected = True
                addresses = subprocess.run(
                    namespace.prefix("ip", "-o", "addr", "show"), capture_output=True, text=True
                ).stdout
                break
            if "AUTH_FAILED" in text or process.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return ClientResult(connected, log.read_text(errors="replace") if log.exists() else "", addresses)
