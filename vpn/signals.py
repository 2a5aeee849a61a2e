"""Deleting a subscription deletes its configuration through the database cascade,
which does not call ``Configuration.delete()``: this handler records the LDAP
"delete" job in that case too (when delete() already recorded it, the queue drops
the duplicate)."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from coin.provisioning.jobs import schedule
from coin.provisioning.models import ProvisioningJob
from vpn.models import VPNConfiguration


@receiver(pre_delete, sender=VPNConfiguration, dispatch_uid="vpn-delete-from-ldap")
def push_deletion(sender, instance: VPNConfiguration, **kwargs) -> None:
    jobs = schedule(instance, action="delete")
    # The cascade has already listed the rows pointing at the configuration: detach
    # the new job ourselves, as the cascade does for the older ones.
    ProvisioningJob.objects.filter(pk__in=[job.pk for job in jobs]).update(configuration=None)
