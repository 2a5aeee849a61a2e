"""Serializers of the hardware API. They validate with the models' own rules
(``clean()``); loans are saved through ``hardware_provisioning.loans.save_loan``
so that two clients racing for one item get a 400 naming ``item``, not a 500."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from coin.validation import model_clean, refusals
from hardware_provisioning.loans import save_loan
from hardware_provisioning.mac import normalise_mac
from hardware_provisioning.models import Item, ItemState, ItemType, Loan, Storage


class ItemTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemType
        fields = ["id", "name"]


class StorageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Storage
        fields = ["id", "name", "truncated_address", "notes"]


class ItemSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=ItemState.choices, read_only=True)

    class Meta:
        model = Item
        fields = [
            "id", "type", "designation", "storage", "mac_address", "serial", "buy_date", "warranty_end",
            "owner", "deployed", "comment", "state",
        ]  # fmt: skip
        # The MAC's uniqueness is checked by Item.clean(), with the admin's message.
        extra_kwargs: dict[str, dict[str, Any]] = {"mac_address": {"validators": []}}

    def validate_mac_address(self, value: str) -> str:
        try:
            return normalise_mac(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error

    def validate(self, attrs):
        return model_clean(self, attrs)


class LoanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Loan
        fields = [
            "id", "item", "member", "subscription", "state", "start", "end", "location", "notes",
            "handover_to", "created_at",
        ]  # fmt: skip
        read_only_fields = ["handover_to", "created_at"]
        validators: list = []  # one open loan per item: Loan.clean() and the database, naming "item"

    def validate(self, attrs):
        return model_clean(self, attrs)

    def create(self, validated_data):
        with refusals():
            return save_loan(Loan(**validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        with refusals():
            return save_loan(instance)
