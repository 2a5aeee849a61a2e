"""Member portal: my IP addresses and the PTR records of my own addresses.

Every view finds its objects through the logged-in member's subnets, so another
member's subnet or record is a 404, never a 403 that would confirm it exists.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coin.resources.forms import ReverseDNSEntryForm
from coin.resources.models import IPSubnet, ReverseDNSEntry
from coin.resources.reverse_dns import delegation_zone_names


def _my_subnets(request: HttpRequest):
    return IPSubnet.objects.of_member(request.user)


def _my_entry(request: HttpRequest, pk: int) -> ReverseDNSEntry:
    return get_object_or_404(
        ReverseDNSEntry.objects.select_related("subnet"),
        pk=pk,
        subnet__configuration__offersubscription__member=request.user,
    )


@login_required
def subnets(request: HttpRequest) -> HttpResponse:
    rows = []
    queryset = (
        _my_subnets(request)
        .select_related("ip_pool", "configuration__offersubscription__offer")
        .prefetch_related("reverse_dns_entries", "name_server")
    )
    for subnet in queryset:
        rows.append(
            {
                "subnet": subnet,
                "subscription": subnet.configuration.offersubscription,
                "entries": sorted(subnet.reverse_dns_entries.all(), key=lambda entry: entry.address),
                "delegated_zones": delegation_zone_names(subnet.inet, settings.REVERSE_DNS_CLASSLESS_LABEL)
                if subnet.delegate_reverse_dns
                else [],
                "name_servers": list(subnet.name_server.all()),
                "can_add_record": has_address_without_record(subnet),
            }
        )
    return render(request, "resources/subnets.html", {"rows": rows})


def has_address_without_record(subnet: IPSubnet) -> bool:
    """True while some address of the subnet has no PTR record yet (a /32 with its
    record is full: "Add" is then not offered)."""
    return len(subnet.reverse_dns_entries.all()) < subnet.inet.num_addresses


def _first_address_without_record(subnet: IPSubnet) -> str:
    """Suggest the first address of the subnet that has no record yet (most
    members have a single address or want the first of their block)."""
    taken = {entry.address for entry in subnet.reverse_dns_entries.all()}
    for offset, address in enumerate(subnet.inet):
        if address not in taken or offset >= 256:
            return str(address)
    return str(subnet.inet.network_address)


@login_required
@require_http_methods(["GET", "POST"])
def ptr_add(request: HttpRequest, subnet_pk: int) -> HttpResponse:
    subnet = get_object_or_404(_my_subnets(request), pk=subnet_pk)
    if not has_address_without_record(subnet):
        messages.error(
            request,
            _("Every address of %(subnet)s has its record: edit it instead.") % {"subnet": subnet.inet},
        )
        return redirect("resources:subnets")
    form = ReverseDNSEntryForm(
        request.POST or None,
        instance=ReverseDNSEntry(subnet=subnet),
        initial={"ip": _first_address_without_record(subnet)},
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, _("The reverse DNS record is saved; it is published at the next zone update.")
        )
        return redirect("resources:subnets")
    return render(request, "resources/ptr_form.html", {"form": form, "subnet": subnet, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def ptr_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _my_entry(request, pk)
    form = ReverseDNSEntryForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, _("The reverse DNS record is saved; it is published at the next zone update.")
        )
        return redirect("resources:subnets")
    return render(request, "resources/ptr_form.html", {"form": form, "subnet": entry.subnet, "entry": entry})


@login_required
@require_http_methods(["GET", "POST"])
def ptr_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _my_entry(request, pk)
    if request.method == "POST":
        entry.delete()
        messages.success(request, _("The reverse DNS record is deleted."))
        return redirect("resources:subnets")
    return render(request, "resources/ptr_confirm_delete.html", {"entry": entry})
