"""Django ValidationErrors shown to people: one mapping from an error to its fields.

The rules raise Django ValidationErrors (``clean()``, the ledger and service
functions). Every caller shows them through ``messages_by_field``: the API as a 400
naming the fields (``refusals``), a form next to its fields (``add_to_form``), an
admin message or a command as one line (``one_line``). An error raised without
fields may say which field it is about with a ``field`` attribute (e.g.
``billing.numbering.ChronologyError`` is about the ``date``); otherwise the caller's
``default_field`` gets it, or nobody (not tied to a field).

Serializers validate with the models' own ``clean()``, like the admin forms
(``model_clean``, ``candidate``).
"""

import contextlib
import copy
from collections.abc import Container, Iterator
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from rest_framework import serializers
from rest_framework.settings import api_settings


def messages_by_field(
    error: ValidationError, default_field: str | None = None, fields: Container[str] | None = None
) -> dict[str | None, list[str]]:
    """``{field: [messages]}`` of an error; None is "not tied to a field".

    A field-less error goes to its own ``field`` attribute, else to ``default_field``.
    With ``fields`` (what the caller can show), messages of other fields go to None.
    """
    if hasattr(error, "error_dict"):
        items = [
            (None if name == NON_FIELD_ERRORS else name, msgs) for name, msgs in error.message_dict.items()
        ]
    else:
        items = [(getattr(error, "field", None) or default_field, error.messages)]
    mapped: dict[str | None, list[str]] = {}
    for name, msgs in items:
        key = name if name is None or fields is None or name in fields else None
        mapped.setdefault(key, []).extend(msgs)
    return mapped


def one_line(error: ValidationError) -> str:
    """All the messages of an error on one line (admin messages, commands)."""
    return " ".join(error.messages)


def add_to_form(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's refusal on the form: each message next to its field when the
    form has it, else above the form."""
    for name, msgs in messages_by_field(error, fields=form.fields).items():
        form.add_error(name, msgs)


def api_error(error: ValidationError, default_field: str | None = None) -> serializers.ValidationError:
    """The error as the API's 400: ``{field: [messages]}``, ``non_field_errors`` for
    messages tied to no field."""
    return serializers.ValidationError(
        {
            api_settings.NON_FIELD_ERRORS_KEY if name is None else name: msgs
            for name, msgs in messages_by_field(error, default_field).items()
        }
    )


@contextlib.contextmanager
def refusals(default_field: str | None = None) -> Iterator[None]:
    """Django ValidationErrors (from clean() or from saving, where the models check
    again under their locks) become 400 responses naming their field (``api_error``)."""
    try:
        yield
    except ValidationError as error:
        raise api_error(error, default_field) from error


def candidate(serializer: "serializers.ModelSerializer[Any]", attrs: dict[str, Any]) -> Any:
    """The object as it would be saved: a copy of the instance being changed (so a
    refused change leaves it alone) with ``attrs`` applied, many-to-many left out."""
    model: Any = serializer.Meta.model
    instance = copy.copy(serializer.instance) if serializer.instance is not None else model()
    concrete = {field.name for field in model._meta.concrete_fields}
    for name, value in attrs.items():
        if name in concrete:
            setattr(instance, name, value)
    return instance


def model_clean(serializer: "serializers.ModelSerializer[Any]", attrs: dict[str, Any]) -> dict[str, Any]:
    """``validate()`` of a serializer whose model's clean() holds the rules."""
    with refusals():
        candidate(serializer, attrs).clean()
    return attrs


class FieldErrors:
    """What a ``clean()`` refuses, collected field by field and raised together, so
    that a form shows every refusal at once::

        errors = FieldErrors()
        if end < start:
            errors.add("end", _("A loan cannot end before it starts."))
        errors.raise_if_any()
    """

    def __init__(self) -> None:
        self.by_field: dict[str, list[Any]] = {}

    def add(self, field: str, message: Any) -> None:
        """Refuse ``field`` with ``message`` (a string or a lazy translation)."""
        self.by_field.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        """Raise one ValidationError naming every refused field, if there is any."""
        if self.by_field:
            raise ValidationError(self.by_field)
