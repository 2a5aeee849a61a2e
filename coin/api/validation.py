"""Serializers validate with the models' own ``clean()``, like the admin forms."""

import contextlib
import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers


@contextlib.contextmanager
def refusals(field: str | None = None):
    """Django ValidationErrors (from clean() or from saving, where the models check
    again under their locks) become 400 responses naming their field; errors not
    tied to a field go to ``field`` when given."""
    try:
        yield
    except DjangoValidationError as error:
        if field is not None and not hasattr(error, "error_dict"):
            raise serializers.ValidationError({field: error.messages}) from error
        raise serializers.ValidationError(serializers.as_serializer_error(error)) from error


def candidate(serializer: serializers.ModelSerializer, attrs: dict):
    """The object as it would be saved: a copy of the instance being changed (so a
    refused change leaves it alone) with ``attrs`` applied, many-to-many left out."""
    model = serializer.Meta.model
    instance = copy.copy(serializer.instance) if serializer.instance is not None else model()
    concrete = {field.name for field in model._meta.concrete_fields}
    for name, value in attrs.items():
        if name in concrete:
            setattr(instance, name, value)
    return instance


def model_clean(serializer: serializers.ModelSerializer, attrs: dict) -> dict:
    """``validate()`` of a serializer whose model's clean() holds the rules."""
    with refusals():
        candidate(serializer, attrs).clean()
    return attrs
