"""A RADIUS subscription moved to another offer: its account is pushed again (its
RADIUS group, and the vendor's service change for its open session). A RADIUS account
deleted (by itself or with its subscription): its open session is disconnected, after
its RADIUS rows are removed (the job recorded next, in the deleting transaction)."""

from typing import Any

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from coin.offers.models import OfferSubscription


@receiver(post_save, sender=OfferSubscription, dispatch_uid="coa.offer_changed")
def offer_changed(sender: type, instance: OfferSubscription, created: bool, **kwargs: object) -> None:
    if created:
        return
    from coa.models import RadiusAccount
    from coa.session_changes import offer_group, pushed_group

    account = RadiusAccount.objects.filter(offersubscription=instance).select_related("bng").first()
    if account is None:
        return
    account.offersubscription = instance
    pushed = pushed_group(account)
    if pushed is not None and pushed != offer_group(account):
        account.provision()


@receiver(pre_delete, dispatch_uid="coa.account_deleted")
def account_deleted(sender: type, instance: Any, **kwargs: object) -> None:
    from coa.models import RadiusAccount
    from coa.session_changes import schedule_session_change

    if isinstance(instance, RadiusAccount):
        schedule_session_change(instance, "delete")
