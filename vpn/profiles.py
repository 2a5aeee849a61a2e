"""The OpenVPN client profile (.ovpn) that members download."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string

from vpn.conf import setting


def ca_certificate() -> str:
    """PEM text of VPN_CA_CERTIFICATE_FILE (empty when not set)."""
    path = setting("VPN_CA_CERTIFICATE_FILE")
    if not path:
        return ""
    try:
        return Path(path).read_text().strip()
    except OSError as error:
        raise ImproperlyConfigured(f"VPN_CA_CERTIFICATE_FILE: cannot read {path}: {error}") from error


def client_profile(account) -> str:
    """A ready profile: server address, port and protocol, the CA certificate
    inline, and auth-user-pass (the client asks for the login and password)."""
    return render_to_string(
        "vpn/client.ovpn",
        {
            "account": account,
            "host": setting("VPN_SERVER_HOST"),
            "port": setting("VPN_SERVER_PORT"),
            "proto": setting("VPN_SERVER_PROTO"),
            "ca": ca_certificate(),
        },
    )
