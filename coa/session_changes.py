"""What an open session must be told when its account changes, through the provisioning
queue (so a BNG that is down gets it later, in order, after the RADIUS rows).

Rules, per vendor profile of the account's BNG (the service names are RADIUS group
names: the offer's group, and RADIUS_SUSPENDED_GROUP):
- subnets changed (``subnet_event``): a Disconnect, so the session comes back with
  its new addresses;
- offer changed (another RADIUS group): Cisco and Juniper deactivate the old service
  and activate the new one by CoA; MikroTik gets the new group's Mikrotik-* reply
  attributes (a Disconnect if it has none); generic BNGs a Disconnect;
- suspension: the same move from the offer's service to the suspended one; resumption:
  back from the suspended one to the offer's;
- account deleted (``delete``, e.g. with its subscription): a Disconnect, after the job
  that removes its RADIUS rows, so the session cannot come back;
- no open session (radacct) at the time the job runs → no packet: the next login reads
  the new rows. A NAK with Error-Cause 503 (no such session) counts as done; any other
  NAK, or no answer, fails the job, which is retried with backoff;
- every request sent joins the history (CoARequest), a failed attempt's too: those
  are saved by ``failed()``, after the job's savepoint was rolled back.
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from coa.conf import setting
from coa.dictionary import Pair
from coa.operations import COA, DISCONNECT
from coin.provisioning.base import Provisioner

PROVISIONER = "coa.session_changes.CoAProvisioner"
Packet = list[Any]  # [code, [[name, value], …]]


def group_reply_pairs(group_name: str, prefix: str) -> list[Pair]:
    from coa.models import RadiusGroupAttribute

    return [
        (a.attribute, a.value)
        for a in RadiusGroupAttribute.objects.filter(
            group__name=group_name, kind=RadiusGroupAttribute.Kind.REPLY, attribute__startswith=prefix
        ).order_by("id")
    ]


def service_change_packets(vendor: str, old: str | None, new: str | None) -> list[Packet]:
    """The requests that move a session from service ``old`` to ``new`` on a BNG of
    ``vendor`` (either may be None: nothing to deactivate or to activate)."""
    if vendor == "cisco" and new:
        pairs = ([["Cisco-AVPair", f"subscriber:sd={old}"]] if old else []) + [
            ["Cisco-AVPair", f"subscriber:sa={new}"]
        ]
        return [[COA, pairs]]
    if vendor == "juniper" and new:
        pairs = ([["ERX-Service-Deactivate", old]] if old else []) + [["ERX-Service-Activate:1", new]]
        return [[COA, pairs]]
    if vendor == "mikrotik" and new:
        pairs = [list(pair) for pair in group_reply_pairs(new, "Mikrotik-")]
        if pairs:
            return [[COA, pairs]]
    return [[DISCONNECT, []]]


def offer_group(account: Any) -> str | None:
    group = getattr(account.offersubscription.offer, "radius_group", None)
    return group.name if group is not None else None


def pushed_group(account: Any) -> str | None:
    """The group the last RADIUS SQL job of the account put it in (None if none yet)."""
    from coin.provisioning.jobs import subject_of
    from coin.provisioning.models import ProvisioningJob

    last = (
        ProvisioningJob.objects.filter(
            subject=subject_of(account), provisioner="coa.provisioning.RadiusProvisioner"
        )
        .exclude(action="delete")
        .order_by("-id")
        .first()
    )
    if last is None or not last.payload.get("groups"):
        return None
    return last.payload["groups"][0][0]


def packets_for(account: Any, action: str, previous_group: str | None) -> tuple[str, list[Packet]]:
    """The operation name and requests for ``action`` on the account's session
    (no requests: nothing to tell)."""
    from coin.billing.suspension import is_suspended

    bng = account.bng
    vendor = bng.vendor if bng is not None else "generic"
    if action == "disconnect":
        return "disconnect", [[DISCONNECT, []]]
    if action == "delete":
        return "delete", [[DISCONNECT, []]]
    suspended_group = setting("RADIUS_SUSPENDED_GROUP")
    current = offer_group(account)
    if action == "suspend":
        return "suspend", service_change_packets(vendor, current, suspended_group)
    if action == "resume":
        return "resume", service_change_packets(vendor, suspended_group, current)
    if (
        action == "update"
        and previous_group is not None
        and previous_group not in (current, suspended_group)
        and not is_suspended(account.offersubscription)
    ):
        return "service-change", service_change_packets(vendor, previous_group, current)
    return "", []


class SessionChangeFailed(RuntimeError):
    """The BNG did not acknowledge a request (NAK, or no answer): ``history`` holds the
    requests sent by the attempt, not yet saved (CoAProvisioner.failed saves them)."""

    def __init__(self, history: list[Any], message: str) -> None:
        self.history = history
        super().__init__(message)


class CoAProvisioner(Provisioner):
    """Tells the account's open session, by CoA or Disconnect, what changed."""

    name = "coa"

    def snapshot(self, configuration: Any, action: str, previous_group: str | None = None) -> dict[str, Any]:
        operation, packets = packets_for(configuration, action, previous_group)
        return {
            "login": configuration.login,
            "account": configuration.pk,
            "bng": configuration.bng_id,
            "operation": operation,
            "packets": packets,
        }

    def apply(self, action: str, payload: dict[str, Any]) -> None:
        from coa.models import BNG, RadiusAccount
        from coa.operations import bng_of_session, open_session, send_request

        bng = BNG.objects.filter(pk=payload["bng"]).first() if payload.get("bng") else None
        session = open_session(payload["login"], bng)
        if session is None:
            return  # nobody online: the next login reads the new rows
        bng = bng or bng_of_session(session)
        if bng is None:
            raise RuntimeError(
                _("No BNG has the NAS address %(address)s of the session of %(login)s.")
                % {"address": session.nasipaddress, "login": payload["login"]}
            )
        account_pk = payload.get("account")
        account = RadiusAccount.objects.filter(pk=account_pk).first() if account_pk else None
        history = []
        for code, pairs in payload["packets"]:
            sent = send_request(
                bng,
                code,
                [tuple(pair) for pair in pairs],
                session=session,
                account=account,
                operation=payload["operation"],
                origin="provisioning",
                save=False,
            )
            history.append(sent)
            if not sent.done:
                raise SessionChangeFailed(
                    history,
                    _(
                        "%(bng)s answered %(answer)s (Error-Cause %(cause)s) "
                        "to the %(operation)s of %(login)s."
                    )
                    % {
                        "bng": bng.name,
                        "answer": sent.get_answer_display() or _("nothing"),
                        "cause": sent.error_cause or "-",
                        "operation": payload["operation"],
                        "login": payload["login"],
                    },
                )
        for sent in history:
            sent.save()

    def failed(self, action: str, payload: dict[str, Any], error: Exception) -> None:
        """The requests of the failed attempt join the history (apply()'s own writes
        were rolled back with the job's savepoint)."""
        for sent in getattr(error, "history", []):
            sent.save()


def schedule_session_change(account: Any, action: str, previous_group: str | None = None) -> Any:
    """Record, in the current transaction, the CoA job of ``action`` when it has
    something to send (a job of the account's subject: it runs after the jobs already
    recorded, e.g. the RADIUS rows). Returns the job or None."""
    from coin.provisioning.jobs import enqueue, subject_of
    from coin.provisioning.models import ProvisioningJob

    payload = CoAProvisioner().snapshot(account, action, previous_group)
    if not payload["packets"]:
        return None
    with transaction.atomic():
        job = ProvisioningJob.objects.create(
            subject=subject_of(account),
            configuration=account,
            provisioner=PROVISIONER,
            action=action,
            payload=payload,
        )
        subject = job.subject
        transaction.on_commit(lambda: enqueue(subject))
    return job
