"""``manage.py coa_server`` run as a real process for the tests (a test BNG on 127.0.0.1)."""

import hashlib
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class TestBNG:
    """A running coa_server: its port, what it printed, and the requests it answered."""

    def __init__(self, process: subprocess.Popen, port: int, lines: list[str]) -> None:
        self.process = process
        self.port = port
        self.lines = lines

    def output(self) -> str:
        return "\n".join(self.lines)

    def blocks(self) -> list[str]:
        """One text block per request printed (its header, attributes and answer)."""
        blocks, current = [], []
        for line in list(self.lines):
            if line.startswith(("CoA-Request", "Disconnect-Request", "dropped")):
                if current:
                    blocks.append("\n".join(current))
                current = [line]
            elif current:
                current.append(line)
        if current:
            blocks.append("\n".join(current))
        return blocks

    def wait_for(self, count: int, timeout: float = 10.0) -> list[str]:
        """Wait until ``count`` answered requests were printed; return the blocks."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [b for b in self.blocks() if "  -> " in b]
            if len(done) >= count:
                return done
            time.sleep(0.02)
        raise AssertionError(
            f"coa_server printed {len(self.blocks())} requests, not {count}:\n{self.output()}"
        )


def forged_message_authenticator(secret: bytes, identifier: int = 7) -> bytes:
    """A CoA-Request whose Message-Authenticator was made with another secret but
    whose Request Authenticator is right for ``secret``: only the check of the
    Message-Authenticator can refuse it."""
    from pyrad import packet as radius

    from coa.client import encode_request

    raw, _ = encode_request(radius.CoARequest, [("User-Name", "jdoe-1")], b"other", identifier=identifier)
    authenticator = hashlib.md5(raw[:4] + 16 * b"\0" + raw[20:] + secret).digest()
    return raw[:4] + authenticator + raw[20:]


@contextmanager
def coa_server(*arguments: str, port: int = 0, secret: str = "testing123"):
    """Start ``manage.py coa_server`` (port 0: a free one, read from its first line)
    and stop it by its PID at the end."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coin.settings_test",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "thirdparty")]),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "coa_server",
            "--port",
            str(port),
            "--secret",
            secret,
            *arguments,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines: list[str] = []
    first = process.stdout.readline()
    if not first.startswith("Listening on"):
        process.kill()
        raise RuntimeError(f"coa_server did not start: {first}{process.stdout.read()}")
    lines.append(first.rstrip("\n"))

    def read() -> None:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield TestBNG(process, int(first.split()[-1]), lines)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=2)


def go_online(account, port: int, vendor: str = "juniper"):
    """Put the account on a BNG at 127.0.0.1:``port`` (secret testing123, one second,
    one retry), its subscription running since 2025-06-01, its rows pushed, and give it
    an open session in radacct (Acct-Session-Id 0000A1B2, address 198.51.100.7)."""
    import datetime

    from django.utils import timezone

    from coa.models import BNG, RadAcct
    from coin.offers.models import OfferSubscription
    from coin.provisioning.jobs import run_due_jobs

    bng = BNG.objects.create(
        name="test-bng",
        address="127.0.0.1",
        coa_port=port,
        secret="testing123",
        vendor=vendor,
        timeout=1,
        retries=1,
    )
    account.bng = bng
    account.save()
    OfferSubscription.objects.filter(pk=account.offersubscription_id).update(
        subscription_date=datetime.date(2025, 6, 1)
    )
    account.offersubscription.refresh_from_db()
    run_due_jobs()
    return RadAcct.objects.create(
        acctsessionid="0000A1B2",
        acctuniqueid="u-0000A1B2",
        username=account.login,
        nasipaddress="127.0.0.1",
        framedipaddress="198.51.100.7",
        acctstarttime=timezone.now(),
    )
