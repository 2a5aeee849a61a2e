from rest_framework import serializers

from coin.configuration.models import configuration_model
from coin.offers.models import Offer, OfferSubscription
from coin.validation import model_clean


class OfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offer
        fields = [
            "id", "name", "reference", "configuration_type", "billing_period", "period_fees", "initial_fees",
            "non_billable", "requestable", "description",
        ]  # fmt: skip

    def validate_configuration_type(self, value: str) -> str:
        if value and configuration_model(value) is None:
            raise serializers.ValidationError(f"No installed configuration app is called {value}.")
        return value

    def validate(self, attrs):
        return model_clean(self, attrs)


class OfferSubscriptionSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    configuration_type = serializers.SerializerMethodField()

    class Meta:
        model = OfferSubscription
        fields = [
            "id", "reference", "member", "offer", "subscription_date", "resign_date", "commitment",
            "comments", "configuration_type",
        ]  # fmt: skip

    def get_configuration_type(self, subscription: OfferSubscription) -> str | None:
        configuration = subscription.real_configuration
        return configuration._meta.label if configuration else None

    def validate(self, attrs):
        return model_clean(self, attrs)
