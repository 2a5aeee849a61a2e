"""How coin.resources reacts to changes made elsewhere (connected by its AppConfig).

A new subscription gets a subnet in each pool of its offer (``subscription_created``
of coin.offers); forms ask first whether the pools have room
(``subscription_can_start``).

Deletions go through signals, not ``IPSubnet.delete()``: ``QuerySet.delete()``
(the admin's bulk delete, cascades) never calls the model's method, but it does
send these signals for every row once a receiver is connected."""

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from coin.configuration.models import Configuration
from coin.offers.models import Offer, OfferSubscription
from coin.offers.signals import subscription_can_start, subscription_created
from coin.resources import changes
from coin.resources.allocation import allocate_offer_subnets, check_offer_allocatable
from coin.resources.models import IPSubnet


@receiver(subscription_created, dispatch_uid="coin.resources.subscription_created")
def _subscription_created(sender: type, subscription: OfferSubscription, **kwargs: object) -> None:
    allocate_offer_subnets(subscription)


@receiver(subscription_can_start, dispatch_uid="coin.resources.subscription_can_start")
def _subscription_can_start(sender: type, offer: Offer, **kwargs: object) -> None:
    check_offer_allocatable(offer)


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
