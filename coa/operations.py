"""What Coin asks BNGs by CoA: the vendors' operations, the session a request is for,
and sending a request with its record in the history (CoARequest).

Rules:
- a request for a session names it the way BNGs require: User-Name, Acct-Session-Id,
  Framed-IP-Address (or Framed-IPv6-Prefix) and NAS-IP-Address (or NAS-IPv6-Address)
  from the session's open radacct row;
- vendor operations build their attributes from named parameters, each checked
  (``InvalidParameter`` names the parameter):
  Cisco puts commands and services in Cisco-AVPair (``subscriber:command=…``,
  ``subscriber:sa=``/``sd=``, ``ip:sub-qos-policy-in=``…, ``ip:inacl=``/``ipv6:inacl=``…);
  Juniper activates with the tagged ERX-Service-Activate:1 and deactivates with the
  untagged ERX-Service-Deactivate; MikroTik sets the queue in Mikrotik-Rate-Limit;
- every request sent is recorded, with its answer, Error-Cause, latency and who asked.
"""

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pyrad import packet as radius

from coa import client
from coa.conf import setting
from coa.dictionary import Pair, validate_pairs

COA = radius.CoARequest
DISCONNECT = radius.DisconnectRequest


class InvalidParameter(ValueError):
    """A vendor operation's parameter that cannot be used: ``parameter`` names it."""

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"{parameter}: {reason}")


NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/()=,+-]{0,199}$")
RATE_RE = re.compile(r"^\d+[kKMG]?(/\d+[kKMG]?)?( \d+[kKMG]?(/\d+[kKMG]?)?){0,4}( \d+)?$")


def check_name(parameter: str, value: Any) -> str:
    """A service, policy or ACL name: letters, digits and ``_.:@/()=,+-``, 1 to 200."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise InvalidParameter(
            parameter,
            _("%(value)r is not a name (letters, digits and _.:@/()=,+- only, 1 to 200).") % {"value": value},
        )
    return value


def check_rate(parameter: str, value: Any) -> str:
    """A MikroTik rate: ``rx[/tx] [burst-rx[/tx] [threshold [time [priority]]]]``, e.g. 10M/100M."""
    if not isinstance(value, str) or not RATE_RE.match(value):
        raise InvalidParameter(
            parameter, _("%(value)r is not a MikroTik rate such as 10M/100M.") % {"value": value}
        )
    return value


def check_direction(parameter: str, value: Any) -> str:
    if value not in ("in", "out"):
        raise InvalidParameter(parameter, _("must be 'in' or 'out'."))
    return value


@dataclass(frozen=True)
class Operation:
    """A named vendor operation: its request code, parameters, and attribute builder."""

    name: str
    vendor: str
    code: int
    label: Any
    parameters: tuple[str, ...]
    build: Callable[[dict[str, Any]], list[Pair]]

    def pairs(self, parameters: dict[str, Any]) -> list[Pair]:
        """The operation's attributes for ``parameters`` (checked; unknown ones refused)."""
        unknown = set(parameters) - set(self.parameters)
        if unknown:
            name = sorted(unknown)[0]
            raise InvalidParameter(name, _("not a parameter of %(operation)s.") % {"operation": self.name})
        for name in self.parameters:
            if name not in parameters:
                raise InvalidParameter(name, _("this parameter is required."))
        return self.build(parameters)


def _avpair(text: str) -> list[Pair]:
    return [("Cisco-AVPair", text)]


def _cisco_acl(version: str) -> Callable[[dict[str, Any]], list[Pair]]:
    prefix = "ip" if version == "v4" else "ipv6"

    def build(p: dict[str, Any]) -> list[Pair]:
        direction = check_direction("direction", p["direction"])
        return _avpair(f"{prefix}:{direction}acl={check_name('acl', p['acl'])}")

    return build


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in [
        Operation(
            "cisco.account-logon",
            "cisco",
            COA,
            gettext_lazy("Cisco: account logon"),
            (),
            lambda p: _avpair("subscriber:command=account-logon"),
        ),
        Operation(
            "cisco.account-logoff",
            "cisco",
            COA,
            gettext_lazy("Cisco: account logoff"),
            (),
            lambda p: _avpair("subscriber:command=account-logoff"),
        ),
        Operation(
            "cisco.account-update",
            "cisco",
            COA,
            gettext_lazy("Cisco: account update (re-read the subscriber's profile)"),
            (),
            lambda p: _avpair("subscriber:command=account-update"),
        ),
        Operation(
            "cisco.service-activate",
            "cisco",
            COA,
            gettext_lazy("Cisco: activate a service"),
            ("service",),
            lambda p: _avpair(f"subscriber:sa={check_name('service', p['service'])}"),
        ),
        Operation(
            "cisco.service-deactivate",
            "cisco",
            COA,
            gettext_lazy("Cisco: deactivate a service"),
            ("service",),
            lambda p: _avpair(f"subscriber:sd={check_name('service', p['service'])}"),
        ),
        Operation(
            "cisco.qos-policy-in",
            "cisco",
            COA,
            gettext_lazy("Cisco: input QoS policy"),
            ("policy",),
            lambda p: _avpair(f"ip:sub-qos-policy-in={check_name('policy', p['policy'])}"),
        ),
        Operation(
            "cisco.qos-policy-out",
            "cisco",
            COA,
            gettext_lazy("Cisco: output QoS policy"),
            ("policy",),
            lambda p: _avpair(f"ip:sub-qos-policy-out={check_name('policy', p['policy'])}"),
        ),
        Operation(
            "cisco.acl-v4",
            "cisco",
            COA,
            gettext_lazy("Cisco: IPv4 access list"),
            ("acl", "direction"),
            _cisco_acl("v4"),
        ),
        Operation(
            "cisco.acl-v6",
            "cisco",
            COA,
            gettext_lazy("Cisco: IPv6 access list"),
            ("acl", "direction"),
            _cisco_acl("v6"),
        ),
        Operation(
            "juniper.service-activate",
            "juniper",
            COA,
            gettext_lazy("Juniper: activate a service"),
            ("service",),
            lambda p: [("ERX-Service-Activate:1", check_name("service", p["service"]))],
        ),
        Operation(
            "juniper.service-deactivate",
            "juniper",
            COA,
            gettext_lazy("Juniper: deactivate a service"),
            ("service",),
            lambda p: [("ERX-Service-Deactivate", check_name("service", p["service"]))],
        ),
        Operation(
            "mikrotik.rate-limit",
            "mikrotik",
            COA,
            gettext_lazy("MikroTik: rate limit"),
            ("rate",),
            lambda p: [("Mikrotik-Rate-Limit", check_rate("rate", p["rate"]))],
        ),
    ]
}


# --- sessions -----------------------------------------------------------------------------


def open_session(login: str, bng: Any = None) -> Any:
    """The latest open radacct row of ``login`` (on ``bng`` when given), or None."""
    from coa.models import RadAcct

    sessions = RadAcct.objects.using(setting("RADIUS_DATABASE")).filter(
        username=login, acctstoptime__isnull=True
    )
    if bng is not None:
        sessions = sessions.filter(nasipaddress=bng.accounting_address)
    return sessions.order_by("-acctstarttime", "-radacctid").first()


def bng_of_session(session: Any) -> Any:
    """The BNG whose accounting address is the session's NAS-IP-Address, or None."""
    from django.db.models import Q

    from coa.models import BNG

    address = str(session.nasipaddress)
    return BNG.objects.filter(
        Q(nas_ip_address=address) | Q(nas_ip_address__isnull=True, address=address)
    ).first()


def session_pairs(session: Any) -> list[Pair]:
    """The attributes that name a session to its BNG."""
    pairs: list[Pair] = [("User-Name", session.username), ("Acct-Session-Id", session.acctsessionid)]
    if session.framedipaddress:
        pairs.append(("Framed-IP-Address", str(session.framedipaddress)))
    elif session.framedipv6prefix:
        pairs.append(("Framed-IPv6-Prefix", str(session.framedipv6prefix)))
    nas = ipaddress.ip_address(str(session.nasipaddress))
    pairs.append(("NAS-IP-Address" if nas.version == 4 else "NAS-IPv6-Address", str(nas)))
    return pairs


# --- sending ------------------------------------------------------------------------------


def outcome_of(answer: client.Answer) -> str:
    from coa.models import CoARequest

    if answer.code is None:
        return CoARequest.Outcome.TIMEOUT
    if answer.acknowledged:
        return CoARequest.Outcome.ACK
    if answer.session_gone:
        return CoARequest.Outcome.GONE
    return CoARequest.Outcome.NAK


def send_request(
    bng: Any,
    code: int,
    attributes: Sequence[Pair] | dict[str, Any],
    *,
    session: Any = None,
    account: Any = None,
    operation: str = "",
    origin: str = "admin",
    user: Any = None,
    save: bool = True,
) -> Any:
    """Validate, send and record one request to ``bng``: the session's identifying
    attributes first (when ``session`` is given), then ``attributes``. Returns the
    CoARequest (saved, unless ``save`` is False: the caller saves it where it will
    last). Raises InvalidAttribute before sending anything."""

    pairs = validate_pairs([*(session_pairs(session) if session is not None else []), *_as_pairs(attributes)])
    answer = client.send(client.Target.of(bng), code, pairs)
    return record(
        bng, code, pairs, answer, account=account, operation=operation, origin=origin, user=user, save=save
    )


def _as_pairs(attributes: Sequence[Pair] | dict[str, Any]) -> list[Any]:
    if isinstance(attributes, dict):
        from coa.dictionary import normalize_pairs

        return normalize_pairs(attributes)
    return list(attributes)


def record(
    bng: Any,
    code: int,
    pairs: Sequence[Pair],
    answer: client.Answer,
    *,
    account: Any = None,
    operation: str = "",
    origin: str = "admin",
    user: Any = None,
    save: bool = True,
) -> Any:
    """One request and its answer for the history (saved unless ``save`` is False)."""
    from coa.models import CoARequest

    values = dict(pairs)
    request = CoARequest(
        bng=bng,
        bng_name=bng.name,
        code=code,
        operation=operation,
        origin=origin,
        requested_by=user if user is not None and user.is_authenticated else None,
        account=account,
        username=str(values.get("User-Name", ""))[:253],
        acct_session_id=str(values.get("Acct-Session-Id", ""))[:253],
        attributes=[[name, value] for name, value in pairs],
        answer=answer.code,
        outcome=outcome_of(answer),
        error_cause=answer.error_cause,
        reply_attributes=[[name, value] for name, value in answer.attributes],
        latency_ms=round(answer.latency * 1000, 3) if answer.latency is not None else None,
        attempts=answer.sends,
    )
    if save:
        request.save()
    return request
