"""Pushes VPN accounts to LDAP on Coin's provisioning queue (see EXTENDING.md §3).

Every save, subnet change, suspension and resumption records an "update",
"suspend" or "resume" job whose payload is the account's full wanted state;
deleting the configuration records a "delete". ``apply`` makes the entry hold
exactly that state, so replaying a job is harmless, and raises when the directory
is down (the queue retries, in order)."""

from typing import Any

from coin.provisioning.base import Provisioner
from vpn import directory
from vpn.accounts import account_state


def wanted_state(configuration, action: str = "update") -> dict[str, Any]:
    """The state the directory must hold for ``configuration`` after ``action``."""
    if action == "suspend":
        in_service = False
    elif action == "resume":
        in_service = configuration.offersubscription.is_running()
    else:
        in_service = configuration.in_service()
    return account_state(
        login=configuration.login,
        password_hash=configuration.password,
        activated=configuration.activated,
        in_service=in_service,
        ipv4_endpoint=configuration.ipv4_endpoint,
        ipv6_endpoint=configuration.ipv6_endpoint,
        networks=configuration.networks(),
    )


class LDAPProvisioner(Provisioner):
    name = "vpn-ldap"

    def snapshot(self, configuration, action: str) -> dict[str, Any]:
        if action == "delete":
            return {"login": configuration.login}
        payload = wanted_state(configuration, action)
        previous = configuration.loaded_value("login")
        payload["previous_login"] = previous if previous and previous != configuration.login else None
        return payload

    def apply(self, action: str, payload: dict[str, Any]) -> None:
        connection = directory.connect()
        try:
            if action == "delete":
                directory.delete_account(connection, payload["login"])
                return
            directory.put_account(connection, payload)
            if payload.get("previous_login"):
                directory.delete_account(connection, payload["previous_login"])
        finally:
            connection.unbind_s()
