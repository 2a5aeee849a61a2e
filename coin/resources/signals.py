"""Deletions go through signals, not ``IPSubnet.delete()``: ``QuerySet.delete()``
(the admin's bulk delete, cascades) never calls the model's method, but it does
send these signals for every row once a receiver is connected."""

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from coin.configuration.models import Configuration
from coin.resources import changes
from coin.resources.models import IPSubnet


@receiver(pre_delete, sender=IPSubnet, dispatch_uid="coin.resources.subnet_deleting")
def _subnet_deleting(sender, instance: IPSubnet, **kwargs) -> None:
    changes.subnet_deleting(instance)


@receiver(post_delete, sender=IPSubnet, dispatch_uid="coin.resources.subnet_deleted")
def _subnet_deleted(sender, instance: IPSubnet, **kwargs) -> None:
    changes.subnet_deleted(instance)


@receiver(pre_delete, dispatch_uid="coin.resources.configuration_deleting")
def _configuration_deleting(sender, instance, **kwargs) -> None:
    # Configuration apps subclass Configuration: the sender is any of them.
    if isinstance(instance, Configuration):
        changes.configuration_deleting(instance)


@receiver(post_save, sender=IPSubnet, dispatch_uid="coin.resources.subnet_loaded")
def _subnet_loaded(sender, instance: IPSubnet, raw: bool, **kwargs) -> None:
    # ``loaddata`` writes rows as they are (raw), past IPSubnet.save().
    if raw:
        changes.advance_allocation_hints([instance])
