"""Admin list filters made from the apps' FilterSets (each app's ``filtersets.py``).

One FilterSet per model says how its rows are filtered; the API uses it as its
``filterset_class`` and the admin's list pages through ``list_filter``, so that a
filter means the same thing in both. The admin offers the filter's values as links
("yes"/"no" for a boolean filter, the choices of a choice filter) and passes the chosen
one to the FilterSet as the API would receive it.
"""

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise
from django_filters import BooleanFilter, ChoiceFilter, FilterSet

Label = str | Promise


class FilterSetListFilter(admin.SimpleListFilter):
    """A list filter that runs the filter ``filter_name`` of ``filterset_class``;
    ``links`` are ``(admin value, label, API value)``."""

    filterset_class: type[FilterSet]
    filter_name: str
    links: Sequence[tuple[str, Label, str]] = ()

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(value, label) for value, label, _api_value in self.links]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        api_values = {value: api_value for value, _label, api_value in self.links}
        chosen = self.value()
        if chosen is None or chosen not in api_values:
            return queryset
        return apply_filter(self.filterset_class, self.filter_name, api_values[chosen], queryset)


def apply_filter(
    filterset_class: type[FilterSet], name: str, raw_value: str, queryset: QuerySet[Any]
) -> QuerySet[Any]:
    """``queryset`` filtered by the filter ``name`` of ``filterset_class`` with
    ``raw_value`` (as a query string gives it: cleaned by the filter's own form field)."""
    filterset = filterset_class(data={name: raw_value}, queryset=queryset)
    if not filterset.form.is_valid():
        raise ValueError(
            f"{filterset_class.__name__}.{name}: {raw_value!r} is refused: {filterset.form.errors}"
        )
    filtered: QuerySet[Any] = filterset.filters[name].filter(queryset, filterset.form.cleaned_data[name])
    return filtered


def list_filter(
    filterset_class: type[FilterSet],
    name: str,
    title: Label,
    *,
    yes: Label | None = None,
    no: Label | None = None,
) -> type[FilterSetListFilter]:
    """The admin list filter of the FilterSet's filter ``name``, under ``title``, in
    the query string as ``?name=…``: a boolean filter as "yes" (labelled ``yes``) and
    "no" (``no``), a choice filter with its choices."""
    declared = filterset_class.base_filters[name]
    if isinstance(declared, BooleanFilter):
        if yes is None or no is None:
            raise TypeError(f"{filterset_class.__name__}.{name} is a yes/no filter: give its two labels.")
        links: list[tuple[str, Label, str]] = [("yes", yes, "true"), ("no", no, "false")]
    elif isinstance(declared, ChoiceFilter):
        links = [(str(value), label, str(value)) for value, label in declared.extra["choices"]]
    else:
        raise TypeError(f"{filterset_class.__name__}.{name}: only yes/no and choice filters have links.")
    attributes = {
        "title": title,
        "parameter_name": name,
        "filterset_class": filterset_class,
        "filter_name": name,
        "links": links,
    }
    return type(f"{filterset_class.__name__}_{name}", (FilterSetListFilter,), attributes)
