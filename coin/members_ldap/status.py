"""Whether a member's LDAP entry is in sync, as admins see it: read from the
member's provisioning jobs (no LDAP query on admin pages)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from coin.members.models import Member
from coin.members_ldap.provisioning import PROVISIONER, subject_of
from coin.provisioning.models import ProvisioningJob


@dataclass(frozen=True)
class LDAPState:
    in_sync: bool
    label: str
    detail: str = ""


def ldap_state(member: Member) -> LDAPState:
    """In sync when every job of the member is done; otherwise the oldest unfinished
    one says why (it holds the others back)."""
    jobs = ProvisioningJob.objects.filter(subject=subject_of(member), provisioner=PROVISIONER)
    job = (
        jobs.exclude(state=ProvisioningJob.State.DONE).order_by("id").first() or jobs.order_by("-id").first()
    )
    if job is None:
        return LDAPState(False, _("never pushed"), _("run manage.py members_ldap_sync"))
    if job.state == ProvisioningJob.State.DONE:
        return LDAPState(True, _("in sync"), _("pushed at %(when)s") % {"when": job.done_at})
    if job.state == ProvisioningJob.State.FAILED:
        error = job.last_error.splitlines()[-1] if job.last_error else ""
        return LDAPState(
            False, _("not in sync: failed %(count)d time(s), will retry") % {"count": job.attempts}, error
        )
    return LDAPState(False, _("not in sync: push pending"))
