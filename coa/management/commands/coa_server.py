import signal
import sys

from django.core.management.base import BaseCommand, CommandError

from coa.bng_server import BNGServer
from coa.dictionary import get_dictionary


def error_cause_value(text: str) -> int:
    """``503`` or ``Session-Context-Not-Found`` → 503."""
    if text.isdigit():
        return int(text)
    values = get_dictionary()["Error-Cause"].values
    if not values.HasForward(text):
        raise CommandError(f"--error-cause: unknown Error-Cause '{text}'.")
    return int.from_bytes(values.GetForward(text), "big")


class Command(BaseCommand):
    help = (
        "A test BNG on 127.0.0.1: verifies CoA and Disconnect requests' authenticators, prints "
        "their attributes and answers ACK, or NAK with an Error-Cause when asked (--nak-on)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=3799, help="UDP port (0: any free one, printed).")
        parser.add_argument("--address", default="127.0.0.1", help="127.0.0.1 (default) or ::1.")
        parser.add_argument("--secret", default="testing123", help="Shared secret (default testing123).")
        parser.add_argument(
            "--nak-on",
            metavar="ATTRIBUTE",
            help="Answer NAK to requests with this attribute (Name, or Name=value).",
        )
        parser.add_argument(
            "--error-cause",
            default="404",
            help="Error-Cause of the NAKs, a number or a name (default 404, Invalid-Request).",
        )
        parser.add_argument(
            "--require-message-authenticator",
            action="store_true",
            help="Drop requests without a Message-Authenticator.",
        )
        parser.add_argument("--quiet", action="store_true", help="Print nothing per request.")

    def handle(
        self,
        *args,
        port,
        address,
        secret,
        nak_on,
        error_cause,
        require_message_authenticator,
        quiet,
        **options,
    ):
        if address not in ("127.0.0.1", "::1"):
            raise CommandError("--address: the test BNG listens on 127.0.0.1 or ::1 only.")
        server = BNGServer(
            port=port,
            secret=secret.encode(),
            address=address,
            nak_on=nak_on,
            error_cause=error_cause_value(error_cause),
            require_message_authenticator=require_message_authenticator,
            quiet=quiet,
            out=sys.stdout,
        )
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        if quiet:
            sys.stdout.write(f"Listening on {server.address} port {server.port}\n")
            sys.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
