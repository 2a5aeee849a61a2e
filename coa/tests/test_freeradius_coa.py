"""Coin's CoA and Disconnect requests against a real FreeRADIUS playing the BNG: Debian's
``sites-available/coa`` virtual server (``listen { type = coa }``), started by
tests/harness/freeradius.py, which checks the client's secret, the Request
Authenticator and the Message-Authenticator before it answers."""

import re
import socket
import time

import pytest
from pyrad import packet as radius

from coa.client import Target, encode_request, send
from coa.dictionary import validate_pairs
from coa.models import CoARequest
from coa.operations import OPERATIONS, send_request
from coa.tests.coa_peer import forged_message_authenticator, go_online
from coin.provisioning.jobs import run_due_jobs
from coin.provisioning.models import ProvisioningJob
from tests.harness.freeradius import NAK_USER, private_freeradius

SECRET = "testing123"  # noqa: S105 (what go_online gives the BNG)


@pytest.fixture(scope="module")
def freeradius_bng():
    with private_freeradius(None, coa_clients={"127.0.0.1": SECRET}) as server:
        yield server


def received(server, since: int) -> list[str]:
    """The requests FreeRADIUS logged after offset ``since``: one block per request,
    its ``Received …`` line then its attributes (without the ``(n)`` prefix)."""
    blocks: list[list[str]] = []
    for line in server.log()[since:].splitlines():
        text = re.sub(r"^\(\d+\) ", "", line)
        if text.startswith("Received "):
            blocks.append([text])
        elif blocks and line.startswith("(") and text.startswith("  ") and not text.startswith("   "):
            if " = " in text and "recv-coa" not in text and not text.strip().startswith(("if", "[")):
                blocks[-1].append(text.strip())
    return ["\n".join(block) for block in blocks]


def wait_logged(server, since: int, pattern: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = server.log()[since:]
        if re.search(pattern, text):
            return text
        time.sleep(0.05)
    raise AssertionError(f"FreeRADIUS did not log {pattern!r}:\n{server.log()[since:][-3000:]}")


def target(server, secret: str = SECRET, **options) -> Target:
    return Target("127.0.0.1", server.coa_port, secret.encode(), **({"timeout": 2, "retries": 1} | options))


def test_coa_and_disconnect_are_acknowledged_with_every_attribute(freeradius_bng):
    since = len(freeradius_bng.log())
    session = [
        ("User-Name", "jdoe-42"),
        ("Acct-Session-Id", "0000A1B2"),
        ("Framed-IP-Address", "198.51.100.7"),
        ("NAS-IP-Address", "127.0.0.1"),
    ]
    coa = send(
        target(freeradius_bng),
        radius.CoARequest,
        validate_pairs(
            [
                *session,
                ("ERX-Service-Deactivate", "fibre-100"),
                ("ERX-Service-Activate:1", "coin-suspended"),
                *OPERATIONS["cisco.service-activate"].pairs({"service": "coin-suspended"}),
                *OPERATIONS["mikrotik.rate-limit"].pairs({"rate": "1M/1M"}),
            ]
        ),
    )
    assert coa.name == "CoA-ACK" and coa.sends == 1, freeradius_bng.log()[since:][-3000:]
    disconnect = send(target(freeradius_bng), radius.DisconnectRequest, validate_pairs(session))
    assert disconnect.name == "Disconnect-ACK" and disconnect.acknowledged
    coa_block, disconnect_block = received(freeradius_bng, since)
    lines = coa_block.splitlines()
    assert lines[0].startswith("Received CoA-Request Id ")
    assert lines[1] == "Message-Authenticator = " + lines[1].split(" = ")[1]  # first, as Coin puts it
    assert lines[2:11] == [
        'User-Name = "jdoe-42"',
        'Acct-Session-Id = "0000A1B2"',
        "Framed-IP-Address = 198.51.100.7",
        "NAS-IP-Address = 127.0.0.1",
        'ERX-Service-Deactivate = "fibre-100"',
        'ERX-Service-Activate:1 = "coin-suspended"',
        'Cisco-AVPair = "subscriber:sa=coin-suspended"',
        'Mikrotik-Rate-Limit = "1M/1M"',
        lines[10],
    ]
    assert re.fullmatch(r'Event-Timestamp = "\w{3} +\d+ \d{4} [\d:]+ \w+"', lines[10]), lines[10]
    assert disconnect_block.splitlines()[0].startswith("Received Disconnect-Request Id ")
    assert disconnect_block.splitlines()[2:6] == lines[2:6]
    assert "invalid" not in freeradius_bng.log()[since:]


def test_a_nak_with_error_cause_503_counts_as_a_gone_session(freeradius_bng, bng):
    bng.address, bng.coa_port, bng.secret, bng.timeout, bng.retries = (
        "127.0.0.1", freeradius_bng.coa_port, SECRET, 2, 1
    )  # fmt: skip
    bng.save()
    sent = send_request(bng, radius.DisconnectRequest, [("User-Name", NAK_USER)], operation="disconnect")
    assert (sent.get_answer_display(), sent.error_cause, sent.outcome) == (
        "Disconnect-NAK",
        503,
        CoARequest.Outcome.GONE,
    )
    assert sent.done and ["Error-Cause", "Session-Context-Not-Found"] in sent.reply_attributes
    nak = send(target(freeradius_bng), radius.CoARequest, validate_pairs({"User-Name": NAK_USER}))
    assert nak.name == "CoA-NAK" and nak.error_cause == 503 and not nak.acknowledged


def test_a_wrong_secret_is_refused_unanswered(freeradius_bng):
    since = len(freeradius_bng.log())
    answer = send(
        target(freeradius_bng, "not-the-secret", timeout=0.4, retries=1),
        radius.CoARequest,
        validate_pairs({"User-Name": "jdoe-42"}),
    )
    assert answer.code is None and answer.sends == 2
    # FreeRADIUS checks the Message-Authenticator (first) with the client's secret.
    text = wait_logged(freeradius_bng, since, r"invalid Message-Authenticator!  \(Shared secret is incorrect")
    assert "Sent CoA-ACK" not in text


def unanswered(server, raw: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1)
        sock.sendto(raw, ("127.0.0.1", server.coa_port))
        with pytest.raises(TimeoutError):
            sock.recvfrom(4096)


def test_bad_authenticators_are_refused_unanswered(freeradius_bng):
    since = len(freeradius_bng.log())
    # Right Request Authenticator, Message-Authenticator made with another secret.
    unanswered(freeradius_bng, forged_message_authenticator(SECRET.encode()))
    wait_logged(freeradius_bng, since, "invalid Message-Authenticator")
    # Right Message-Authenticator (a CoA's is computed over a zeroed authenticator),
    # Request Authenticator altered: only its own check can refuse it.
    since = len(freeradius_bng.log())
    raw, authenticator = encode_request(
        radius.DisconnectRequest, [("User-Name", "jdoe-42")], SECRET.encode(), identifier=9
    )
    unanswered(freeradius_bng, raw[:4] + bytes([authenticator[0] ^ 1]) + authenticator[1:] + raw[20:])
    text = wait_logged(freeradius_bng, since, "invalid Request Authenticator")
    assert "Sent Disconnect-ACK" not in text
    # The same request, unaltered, is answered.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(raw, ("127.0.0.1", freeradius_bng.coa_port))
        assert sock.recvfrom(4096)[0][0] == radius.DisconnectACK


@pytest.mark.django_db
def test_a_subnet_change_disconnects_the_session_through_the_queue(
    freeradius_bng, account, pools, django_capture_on_commit_callbacks
):
    from coa.tests.conftest import add_subnet

    go_online(account, freeradius_bng.coa_port, "generic")
    since = len(freeradius_bng.log())
    with django_capture_on_commit_callbacks(execute=True):
        add_subnet(account, pools["v4"], "198.51.100.9/32")
    run_due_jobs()
    assert not ProvisioningJob.objects.exclude(state="done").exists()
    (block,) = received(freeradius_bng, since)
    assert block.splitlines()[0].startswith("Received Disconnect-Request")
    assert block.splitlines()[2:6] == [
        f'User-Name = "{account.login}"',
        'Acct-Session-Id = "0000A1B2"',
        "Framed-IP-Address = 198.51.100.7",
        "NAS-IP-Address = 127.0.0.1",
    ]
    history = CoARequest.objects.get()
    assert (history.operation, history.origin, history.outcome) == ("disconnect", "provisioning", "ack")
