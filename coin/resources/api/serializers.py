"""Serializers of the IP resources API. They validate through the models' own
rules (``clean()``, then ``save()`` or ``allocation.save_subnet()``, which record
the history and the subnet events), as the admin does: nothing is checked here that the models
or coin.resources.allocation do not already check."""

from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coin.resources.allocation import (
    check_allocatable_subnet,
    check_prefixlen,
    pool_usage,
    pool_usages,
    save_subnet,
)
from coin.resources.ip import IPNetwork, parse_network
from coin.resources.models import (
    IPPool,
    IPSubnet,
    IPSubnetAssignment,
    NameServer,
    OfferIPPool,
    ReverseDNSEntry,
    name_server_problems,
)
from coin.validation import candidate, refusals


@extend_schema_field({"type": "string", "example": "192.0.2.0/24"})
class NetworkField(serializers.Field):
    """An IPv4 or IPv6 network in CIDR notation; a bare address is a /32 or /128."""

    default_error_messages = {"invalid": _("Enter an IPv4 or IPv6 network.")}

    def to_internal_value(self, data) -> IPNetwork | None:
        if not isinstance(data, str):
            self.fail("invalid")
        if not data.strip():
            if self.allow_null:
                return None
            self.fail("required")
        try:
            return parse_network(data)
        except DjangoValidationError as error:  # the field's own error: the field names it
            raise serializers.ValidationError(error.messages) from error

    def to_representation(self, value) -> str:
        return str(value)


# --- Pools ------------------------------------------------------------------------------


class PoolUsageSerializer(serializers.Serializer):
    """coin.resources.allocation.PoolUsage. Address and block counts are decimal
    strings: those of IPv6 pools exceed what JSON clients hold in a number."""

    subnets = serializers.IntegerField(read_only=True)
    used_addresses = serializers.CharField(read_only=True)
    free_addresses = serializers.CharField(read_only=True)
    total_addresses = serializers.CharField(read_only=True)
    percent = serializers.FloatField(read_only=True)
    block_prefixlen = serializers.IntegerField(
        read_only=True, help_text=_("Prefix length handed out by default.")
    )
    free_blocks = serializers.CharField(
        read_only=True,
        help_text=_("Free space in blocks of the default size (an upper bound if sizes are mixed)."),
    )


class IPPoolListSerializer(serializers.ListSerializer):
    """The usage of every pool of a page from one grouped query."""

    def to_representation(self, data):
        pools = list(data.all() if hasattr(data, "all") else data)
        usages = pool_usages(pools)
        for pool in pools:
            pool.usage_cache = usages[pool.pk]
        return super().to_representation(pools)


class IPPoolSerializer(serializers.ModelSerializer):
    inet = NetworkField(help_text=IPPool._meta.get_field("inet").help_text)
    version = serializers.SerializerMethodField()
    usage = serializers.SerializerMethodField()

    class Meta:
        model = IPPool
        fields = ["id", "name", "inet", "version", "default_subnetsize", "description", "usage"]
        list_serializer_class = IPPoolListSerializer

    def get_version(self, pool: IPPool) -> int:
        return pool.version

    @extend_schema_field(PoolUsageSerializer)
    def get_usage(self, pool: IPPool) -> dict:
        usage = getattr(pool, "usage_cache", None) or pool_usage(pool)
        return PoolUsageSerializer(usage).data

    def validate(self, attrs):
        candidate(self, attrs).clean()
        return attrs

    def create(self, validated_data):
        with refusals(), transaction.atomic():
            return super().create(validated_data)

    def update(self, instance, validated_data):
        with refusals(), transaction.atomic():
            return super().update(instance, validated_data)


# --- Subnets ----------------------------------------------------------------------------


class IPSubnetSerializer(serializers.ModelSerializer):
    inet = NetworkField(required=False, allow_null=True, help_text=IPSubnet._meta.get_field("inet").help_text)
    version = serializers.SerializerMethodField()
    prefixlen = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=0,
        max_value=128,
        help_text=_("When the network is left empty: prefix length of the block (default: the pool's)."),
    )
    subscription = serializers.SerializerMethodField()
    member = serializers.SerializerMethodField()

    class Meta:
        model = IPSubnet
        fields = [
            "id", "inet", "version", "ip_pool", "prefixlen", "configuration", "subscription", "member",
            "delegate_reverse_dns", "name_server",
        ]  # fmt: skip

    def get_version(self, subnet: IPSubnet) -> int:
        return subnet.inet.version

    def get_subscription(self, subnet: IPSubnet) -> int | None:
        configuration = subnet.configuration
        return configuration.offersubscription_id if configuration is not None else None

    def get_member(self, subnet: IPSubnet) -> int | None:
        configuration = subnet.configuration
        return configuration.offersubscription.member_id if configuration is not None else None

    def validate(self, attrs):
        prefixlen = attrs.get("prefixlen")
        subnet = candidate(self, attrs)
        if prefixlen is not None:
            if subnet.inet is not None:
                raise serializers.ValidationError(
                    {"prefixlen": gettext("Leave the network empty to allocate a block of this size.")}
                )
            with refusals("prefixlen"):
                check_prefixlen(subnet.ip_pool, prefixlen)
        check_allocatable_subnet(subnet, prefixlen)
        subnet.clean()
        if self.instance is None or {"name_server", "delegate_reverse_dns"} & attrs.keys():
            # (A change of holder alone drops the previous holder's servers: IPSubnet.save().)
            servers = attrs.get("name_server", self.instance.name_server.all() if self.instance else [])
            problems = name_server_problems(subnet.configuration, servers, subnet.delegate_reverse_dns)
            if problems:
                raise serializers.ValidationError({"name_server": problems})
        return attrs

    def create(self, validated_data):
        prefixlen = validated_data.pop("prefixlen", None)
        servers = validated_data.pop("name_server", [])
        subnet = IPSubnet(**validated_data)
        with refusals("inet"), transaction.atomic():
            save_subnet(subnet, prefixlen)
            subnet.name_server.set(servers)
        return subnet

    def update(self, instance, validated_data):
        prefixlen = validated_data.pop("prefixlen", None)
        servers = validated_data.pop("name_server", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        with refusals("inet"), transaction.atomic():
            save_subnet(instance, prefixlen)
            if servers is not None:
                instance.name_server.set(servers)
        return instance


# --- Pools of offers, history, reverse DNS -------------------------------------------------


class OfferIPPoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfferIPPool
        fields = ["id", "offer", "pool", "order"]

    def validate(self, attrs):
        with refusals("offer"):  # about the offer's configuration type
            candidate(self, attrs).clean()
        return attrs


class IPSubnetAssignmentSerializer(serializers.ModelSerializer):
    inet = NetworkField(read_only=True)

    class Meta:
        model = IPSubnetAssignment
        fields = [
            "id", "inet", "subnet", "subscription", "subscription_reference", "configuration",
            "configuration_description", "member_username", "start", "end",
        ]  # fmt: skip
        read_only_fields = fields


class NameServerSerializer(serializers.ModelSerializer):
    class Meta:
        model = NameServer
        fields = ["id", "name", "owner", "comment"]
        # NameServer.clean() checks the uniqueness of the normalised name
        validators: list[Callable[..., None]] = []

    def validate(self, attrs):
        server = candidate(self, attrs)
        server.clean()
        attrs["name"] = server.name  # normalised
        return attrs


class ReverseDNSEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ReverseDNSEntry
        fields = ["id", "subnet", "ip", "name", "created_at", "updated_at"]

    def validate(self, attrs):
        entry = candidate(self, attrs)
        entry.clean()
        attrs["ip"], attrs["name"] = entry.ip, entry.name  # normalised
        return attrs
