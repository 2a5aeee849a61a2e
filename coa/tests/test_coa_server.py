"""manage.py coa_server, the test BNG, with real peers: FreeRADIUS's radclient and
Coin's own client (coa.client)."""

import shutil
import socket
import subprocess

import pytest
from pyrad import packet as radius

from coa.client import Target, exchange, send
from coa.dictionary import validate_pairs
from coa.tests.coa_peer import coa_server, forged_message_authenticator

RADCLIENT = shutil.which("radclient")


def radclient(
    port: int, command: str, lines: list[str], secret: str = "testing123"
) -> subprocess.CompletedProcess:
    assert RADCLIENT, (
        "radclient (Debian's freeradius-utils) is required: scripts/bootstrap.sh test installs it"
    )
    return subprocess.run(
        [RADCLIENT, "-x", "-r", "1", "-t", "1", f"127.0.0.1:{port}", command, secret],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=20,
    )


def test_radclient_coa_and_disconnect_get_ack_and_nak_when_asked():
    with coa_server("--nak-on", "Filter-Id=refuse-me", "--error-cause", "Unsupported-Service") as bng:
        coa = radclient(
            bng.port,
            "coa",
            [
                'User-Name = "jdoe-1"',
                'Acct-Session-Id = "S1"',
                "Message-Authenticator = 0x00",
                'ERX-Service-Activate:1 = "fibre-100"',
            ],
        )
        assert coa.returncode == 0 and "Received CoA-ACK" in coa.stdout, coa.stdout + coa.stderr
        disconnect = radclient(
            bng.port, "disconnect", ['User-Name = "jdoe-1"', "Message-Authenticator = 0x00"]
        )
        assert "Received Disconnect-ACK" in disconnect.stdout
        nak = radclient(bng.port, "coa", ['User-Name = "jdoe-1"', 'Filter-Id = "refuse-me"'])
        assert "Received CoA-NAK" in nak.stdout and nak.returncode != 0
        assert "Error-Cause = Unsupported-Service" in nak.stdout
        nak = radclient(bng.port, "disconnect", ['User-Name = "jdoe-1"', 'Filter-Id = "refuse-me"'])
        assert "Received Disconnect-NAK" in nak.stdout
        blocks = bng.wait_for(4)
    assert blocks[0].splitlines()[1:] == [
        '    User-Name = "jdoe-1"',
        '    Acct-Session-Id = "S1"',
        '    ERX-Service-Activate:1 = "fibre-100"',
        "  -> CoA-ACK",
    ]
    assert blocks[2].endswith("-> CoA-NAK Error-Cause=405")


def test_bad_authenticators_are_dropped_unanswered():
    with coa_server("--require-message-authenticator") as bng:
        wrong = radclient(
            bng.port, "coa", ['User-Name = "jdoe-1"', "Message-Authenticator = 0x00"], secret="wrong"
        )
        assert "Received" not in wrong.stdout and wrong.returncode != 0
        missing = radclient(bng.port, "coa", ['User-Name = "jdoe-1"'])
        assert "Received" not in missing.stdout
        # A Message-Authenticator made with another secret, in a packet whose Request
        # Authenticator is right: only the Message-Authenticator check can catch it.
        forged = forged_message_authenticator(b"testing123")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(1)
            sock.sendto(forged, ("127.0.0.1", bng.port))
            with pytest.raises(TimeoutError):
                sock.recvfrom(4096)
        good = radclient(bng.port, "coa", ['User-Name = "jdoe-1"', "Message-Authenticator = 0x00"])
        assert "Received CoA-ACK" in good.stdout
        bng.wait_for(1)
    reasons = [line for line in bng.lines if line.startswith("dropped")]
    assert len(reasons) == 3, bng.output()
    assert "bad Request Authenticator" in reasons[0]
    assert "no Message-Authenticator" in reasons[1]
    assert "bad Message-Authenticator" in reasons[2]


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_coin_client_against_the_test_bng(address):
    with coa_server("--address", address, "--nak-on", "User-Name=gone", "--error-cause", "503") as bng:
        target = Target(address, bng.port, b"testing123", timeout=2, retries=1)
        answer = send(target, radius.CoARequest, validate_pairs({"User-Name": "jdoe-1", "Filter-Id": "gold"}))
        assert answer.acknowledged and answer.name == "CoA-ACK" and answer.sends == 1 and answer.latency < 2
        answer = send(target, radius.DisconnectRequest, validate_pairs({"User-Name": "gone"}))
        assert answer.name == "Disconnect-NAK" and answer.error_cause == 503 and answer.session_gone
        assert ("Error-Cause", "Session-Context-Not-Found") in answer.attributes
        blocks = bng.wait_for(2)
    lines = blocks[0].splitlines()
    assert lines[1:3] == ['    User-Name = "jdoe-1"', '    Filter-Id = "gold"']
    assert lines[3].startswith("    Event-Timestamp = ")  # added by the client to every request
    assert blocks[1].startswith("Disconnect-Request")


def test_wrong_secret_or_no_bng_is_no_answer_after_the_retries():
    with coa_server() as bng:
        answer = send(
            Target("127.0.0.1", bng.port, b"wrong", timeout=0.3, retries=2), 43, [("User-Name", "x")]
        )
        assert answer.code is None and answer.sends == 3 and not answer.acknowledged
        assert len([line for line in bng.lines if line.startswith("dropped")]) == 3  # each send reached it
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    answer = send(
        Target("127.0.0.1", free_port, b"testing123", timeout=0.2, retries=1), 43, [("User-Name", "x")]
    )
    assert answer.code is None and answer.sends == 2


def test_many_requests_in_flight_on_more_than_one_socket():
    with coa_server("--quiet") as bng:
        target = Target("127.0.0.1", bng.port, b"testing123", timeout=3, retries=2)
        requests = [(target, 43, [("User-Name", f"user-{n}")]) for n in range(600)]
        answers = exchange(requests, window=600)
    assert len(answers) == 600 and all(answer.acknowledged for answer in answers)
