"""What happens to a loan: borrowed (or requested), approved or refused, returned,
handed over to another member. Views, the admin and the API call these functions;
each runs in one transaction, with the item's row locked, and the database's
``hardware_one_open_loan_per_item`` constraint as the last word when two
requests race.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coin.members.models import Member
from coin.offers.models import OfferSubscription
from hardware_provisioning.conf import setting
from hardware_provisioning.models import Item, Loan, Storage


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _locked_item(item: Item) -> Item:
    return Item.objects.select_for_update().get(pk=item.pk)


def _locked_loan(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().select_related("item", "member").get(pk=loan.pk)


def save_loan(loan: Loan) -> Loan:
    """full_clean() then save; a concurrent open loan of the same item that only the
    database sees becomes the same error on ``item`` as the one clean() gives."""
    loan.full_clean()
    try:
        with transaction.atomic():
            loan.save()
    except IntegrityError as error:
        if "hardware_one_open_loan_per_item" in str(error) or "UNIQUE constraint failed" in str(error):
            raise ValidationError({"item": [_("This item is already lent or requested.")]}) from error
        raise
    return loan


def open_loan(
    item: Item,
    member: Member,
    *,
    state: str = Loan.State.RUNNING,
    start: datetime.date | None = None,
    location: str = "",
    notes: str = "",
    subscription: OfferSubscription | None = None,
) -> Loan:
    """Lend ``item`` to ``member`` (``state`` running) or record their request for it
    (``state`` requested). A running loan takes the item out of its storage site.
    Raises ValidationError naming the field at fault (``item`` when it is taken)."""
    with transaction.atomic():
        locked = _locked_item(item)
        loan = Loan(
            item=locked,
            member=member,
            state=state,
            start=_today(start),
            location=location,
            notes=notes,
            subscription=subscription,
        )
        save_loan(loan)
        if state == Loan.State.RUNNING and locked.storage_id is not None:
            locked.storage = None
            locked.save(update_fields=["storage"])
        return loan


def borrow(
    member: Member,
    item: Item,
    *,
    location: str = "",
    notes: str = "",
    subscription: OfferSubscription | None = None,
) -> Loan:
    """A member borrows an available item from the portal: the loan starts at once
    when ``HARDWARE_DIRECT_LOANS`` is on, otherwise it is a request for an admin."""
    if member.status != Member.Status.MEMBER or not member.is_active:
        raise ValidationError(_("Only members can borrow hardware."))
    state = Loan.State.RUNNING if setting("HARDWARE_DIRECT_LOANS") else Loan.State.REQUESTED
    return open_loan(item, member, state=state, location=location, notes=notes, subscription=subscription)


def approve(loan: Loan, today: datetime.date | None = None) -> Loan:
    """An admin accepts a member's request: the loan runs from today."""
    with transaction.atomic():
        loan = _locked_loan(loan)
        if loan.state != Loan.State.REQUESTED:
            raise ValidationError(
                _("Only a request can be approved (this loan is %(state)s).")
                % {"state": loan.get_state_display()}
            )
        loan.state = Loan.State.RUNNING
        loan.start = _today(today)
        save_loan(loan)
        if loan.item.storage_id is not None:
            loan.item.storage = None
            loan.item.save(update_fields=["storage"])
        return loan


def refuse(loan: Loan, today: datetime.date | None = None) -> Loan:
    """An admin turns a member's request down; the item is free again."""
    with transaction.atomic():
        loan = _locked_loan(loan)
        if loan.state != Loan.State.REQUESTED:
            raise ValidationError(
                _("Only a request can be refused (this loan is %(state)s).")
                % {"state": loan.get_state_display()}
            )
        loan.state, loan.end, loan.handover_to = Loan.State.REFUSED, max(_today(today), loan.start), None
        return save_loan(loan)


def end_loan(loan: Loan, storage: Storage | None = None, today: datetime.date | None = None) -> Loan:
    """The item comes back (a member's return or an admin's "end"): a running loan
    ends today, a request is cancelled. ``storage`` is where the item is put back
    (None: unknown)."""
    with transaction.atomic():
        loan = _locked_loan(loan)
        if not loan.is_open:
            raise ValidationError(_("This loan is already closed."))
        loan.state = Loan.State.ENDED if loan.state == Loan.State.RUNNING else Loan.State.CANCELLED
        loan.end = max(_today(today), loan.start)
        loan.handover_to = None
        save_loan(loan)
        if storage is not None and loan.state == Loan.State.ENDED:
            loan.item.storage = storage
            loan.item.save(update_fields=["storage"])
        return loan


def find_recipient(holder: Member, identifier: str) -> Member:
    """The member named by their exact username or email (any case), for a hand-over.
    Raises ValidationError on ``recipient`` otherwise: members never see a list."""
    text = (identifier or "").strip()
    if not text:
        raise ValidationError({"recipient": [_("Give the username or email of the member.")]})
    found = list(Member.objects.members().filter(Q(username=text) | Q(email__iexact=text))[:2])
    if len(found) != 1:
        raise ValidationError({"recipient": [_("No member has this exact username or email.")]})
    if found[0].pk == holder.pk:
        raise ValidationError({"recipient": [_("You already hold this loan.")]})
    return found[0]


def offer_handover(loan: Loan, holder: Member, identifier: str) -> Loan:
    """The holder of a running loan offers it to another member, who must confirm."""
    recipient = find_recipient(holder, identifier)
    with transaction.atomic():
        loan = _locked_loan(loan)
        if loan.member_id != holder.pk or loan.state != Loan.State.RUNNING:
            raise ValidationError(_("Only a running loan of yours can be handed over."))
        loan.handover_to = recipient
        return save_loan(loan)


def cancel_handover(loan: Loan, holder: Member) -> Loan:
    """The holder withdraws a hand-over that the recipient has not confirmed."""
    with transaction.atomic():
        loan = _locked_loan(loan)
        if loan.member_id != holder.pk:
            raise ValidationError(_("This loan is not yours."))
        loan.handover_to = None
        loan.save(update_fields=["handover_to"])
        return loan


def decline_handover(loan: Loan, recipient: Member) -> Loan:
    """The recipient says no: the loan stays with its holder."""
    with transaction.atomic():
        loan = _locked_loan(loan)
        if loan.handover_to_id != recipient.pk:
            raise ValidationError(_("This loan was not handed over to you."))
        loan.handover_to = None
        loan.save(update_fields=["handover_to"])
        return loan


def accept_handover(loan: Loan, recipient: Member, today: datetime.date | None = None) -> Loan:
    """The recipient confirms: the holder's loan ends today and the recipient's
    starts today, in one transaction (never two open loans, never none in between)."""
    day = _today(today)
    with transaction.atomic():
        loan = _locked_loan(loan)
        if loan.handover_to_id != recipient.pk or loan.state != Loan.State.RUNNING:
            raise ValidationError(_("This loan was not handed over to you."))
        previous_holder = loan.member
        loan.state, loan.end, loan.handover_to = Loan.State.ENDED, max(day, loan.start), None
        save_loan(loan)
        handed = Loan(
            item=loan.item,
            member=recipient,
            state=Loan.State.RUNNING,
            start=loan.end,
            notes=_("Handed over by %(member)s.") % {"member": previous_holder.username},
        )
        return save_loan(handed)


def move_items(items: Iterable[Item], storage: Storage) -> tuple[list[Item], list[Item]]:
    """Move items to another storage site. Items that are lent, requested or
    deployed are not in storage and stay as they are: returns (moved, left)."""
    moved: list[Item] = []
    left: list[Item] = []
    with transaction.atomic():
        pks = [item.pk for item in items]
        locked = list(Item.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
        available = set(Item.objects.filter(pk__in=pks).available().values_list("pk", flat=True))
        for item in locked:
            (moved if item.pk in available else left).append(item)
        Item.objects.filter(pk__in=[item.pk for item in moved]).update(storage=storage)
    return moved, left
