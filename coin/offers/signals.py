"""Signals of the offers app, for the apps built on it (configuration, resources…).

The offers app never imports those apps: they connect their receivers in their
``AppConfig.ready()`` (see EXTENDING.md, *Signals*).
"""

from django.dispatch import Signal

#: Sent by ``coin.offers.subscriptions.check_subscription_can_start(offer)`` before a form
#: or the API creates a subscription to ``offer`` (keyword argument ``offer``). A
#: receiver raises ``django.core.exceptions.ValidationError`` to refuse, with a message
#: for the user (e.g. resources: the offer's IP pool is full).
subscription_can_start = Signal()

#: Sent by ``coin.offers.subscriptions.create_subscription()`` inside the transaction
#: that creates a subscription, once it is saved (keyword argument ``subscription``).
#: Receivers run in the order of INSTALLED_APPS: coin.configuration creates the
#: configuration of the offer's type, then coin.resources allocates the offer's subnets
#: to it. A receiver that raises undoes the whole creation.
subscription_created = Signal()
