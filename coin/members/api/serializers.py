from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from coin.members.membership import record_fee, save_member
from coin.members.models import Member, MembershipFee
from coin.members.privileges import may_change_credentials
from coin.validation import model_clean


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = [
            "id", "username", "type", "status", "first_name", "last_name", "organization_name", "siren",
            "nickname", "email", "address", "postal_code", "city", "country", "home_phone_number",
            "mobile_phone_number", "resign_date", "send_membership_fees_email", "comments", "date_joined",
        ]  # fmt: skip
        read_only_fields = ["date_joined"]
        extra_kwargs = {"username": {"required": False}}

    def validate(self, attrs):
        request = self.context.get("request")
        if (
            "email" in attrs
            and self.instance is not None
            and attrs["email"] != self.instance.email
            and request is not None
            and not may_change_credentials(request.user, self.instance)
        ):
            raise PermissionDenied(_("Only a superuser may change the email of a staff account."))
        return model_clean(self, attrs)

    def create(self, validated_data):
        return save_member(Member(**validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return save_member(instance)


class MembershipFeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = MembershipFee
        fields = [
            "id",
            "member",
            "amount",
            "start_date",
            "end_date",
            "payment_method",
            "reference",
            "payment_date",
        ]
        extra_kwargs = {"end_date": {"required": False}}

    def validate(self, attrs):
        return model_clean(self, attrs)

    def create(self, validated_data):
        return record_fee(MembershipFee(**validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return record_fee(instance)
