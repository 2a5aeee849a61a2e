"""Calling ``Configuration.subnet_event()`` once per change, after commit.

Why after commit: the event may push the configuration to the network (through a
provisioning job, a CoA packet…); before commit the change could still roll back,
and the backend would then hold subnets that the database does not.

Why once: saving a subscription with three subnets, or deleting ten subnets of one
configuration from the admin, is one change for the backend. All the subnet
changes of one transaction are coalesced into one call per configuration.

Why provisioning is recorded before commit: the "update" provisioning job of each
changed configuration is written in the changing transaction itself, so a crash
between the commit and the after-commit call can never lose the push to the
network. ``subnet_event()`` is then for anything more an app wants to do.

How: each change registers an ``on_commit`` callback carrying its configuration
id and the *batch* of the current transaction. Callbacks of savepoints that roll
back are dropped by Django, so only surviving changes fire; the first callback of
a configuration to run calls the event and marks it done in the batch, the others
of the same batch return at once.
"""

import logging
from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, transaction

from coin.configuration.models import Configuration

logger = logging.getLogger(__name__)

_BATCH_ATTRIBUTE = "_coin_subnet_event_batch"


class _Batch:
    def __init__(self) -> None:
        self.started = False
        self.fired: set[int] = set()


def _current_batch(using: str) -> _Batch:
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return _Batch()  # autocommit: the callback runs at once
    batch = getattr(connection, _BATCH_ATTRIBUTE, None)
    if batch is None or batch.started:
        batch = _Batch()
        setattr(connection, _BATCH_ATTRIBUTE, batch)
    return batch


def subnets_changed(
    *configuration_ids: int | None, using: str = DEFAULT_DB_ALIAS, loaded: Iterable[Configuration] = ()
) -> None:
    """Record that the subnets of these configurations changed in the current
    transaction (None entries are ignored). ``loaded`` may hold some of them,
    already fetched as their own type, to spare fetching them again."""
    ids = {pk for pk in configuration_ids if pk is not None}
    if not ids:
        return
    _record_provisioning(ids, using, {configuration.pk: configuration for configuration in loaded})
    batch = _current_batch(using)
    for pk in sorted(ids):
        transaction.on_commit(_callback(batch, pk, using), using=using, robust=True)


def _record_provisioning(configuration_ids: set[int], using: str, loaded: dict[int, Configuration]) -> None:
    configurations = {pk: loaded[pk] for pk in configuration_ids & loaded.keys()}
    missing = configuration_ids - configurations.keys()
    if missing:
        configurations.update(
            (configuration.pk, configuration)
            for configuration in Configuration.objects.using(using).filter(pk__in=missing)
        )
    for pk in sorted(configurations):
        configurations[pk].provision()


def _callback(batch: "_Batch", configuration_id: int, using: str):
    # A real function, not a partial: Django logs failures with its __qualname__.
    def fire_subnet_event() -> None:
        _fire(batch, configuration_id, using)

    return fire_subnet_event


def _fire(batch: _Batch, configuration_id: int, using: str) -> None:
    batch.started = True
    if configuration_id in batch.fired:
        return
    batch.fired.add(configuration_id)
    configuration = Configuration.objects.using(using).filter(pk=configuration_id).first()
    if configuration is None:  # deleted in the same transaction
        return
    with transaction.atomic(using=using):
        configuration.subnet_event()
