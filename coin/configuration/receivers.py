"""How coin.configuration reacts to the apps below it (connected by its AppConfig)."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from coin.configuration.models import Configuration, create_configuration
from coin.offers.models import OfferSubscription
from coin.offers.signals import subscription_created
from coin.provisioning.jobs import schedule


@receiver(subscription_created, dispatch_uid="coin.configuration.subscription_created")
def _subscription_created(sender: type, subscription: OfferSubscription, **kwargs: object) -> None:
    create_configuration(subscription)


@receiver(pre_delete, dispatch_uid="coin.configuration.configuration_deleting")
def _configuration_deleting(sender: type, instance: object, **kwargs: object) -> None:
    """Every deletion of a configuration records its "delete" jobs, in the deleting
    transaction: ``configuration.delete()``, ``QuerySet.delete()`` (the admin's bulk
    action) and the cascade from its subscription alike. The sender is any
    configuration app's model, hence the isinstance test; Django also sends it for
    the parent ``Configuration`` row, whose class has no provisioners."""
    if isinstance(instance, Configuration):
        schedule(instance, action="delete")
