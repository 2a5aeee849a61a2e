from rest_framework import serializers

from coin.offers.configuration_types import is_configuration_type
from coin.offers.models import Offer, OfferSubscription
from coin.offers.subscriptions import check_subscription_can_start, create_subscription
from coin.validation import model_clean, refusals


class OfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offer
        fields = [
            "id", "name", "reference", "configuration_type", "billing_period", "period_fees", "initial_fees",
            "non_billable", "requestable", "description",
        ]  # fmt: skip

    def validate_configuration_type(self, value: str) -> str:
        if value and not is_configuration_type(value):
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
        attrs = model_clean(self, attrs)
        if self.instance is None:
            with refusals("offer"):
                check_subscription_can_start(attrs["offer"])
        return attrs

    def create(self, validated_data):
        with refusals("offer"):
            return create_subscription(OfferSubscription(**validated_data))
