from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from coin.configuration.models import Configuration


class SimpleDSL(Configuration):
    """A white-label DSL line, known by its phone number."""

    phone_number = models.CharField(
        _("phone number"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\+?[0-9 .-]{6,20}$", _("Enter a phone number."))],
        help_text=_("Phone number of the line."),
    )

    class Meta:
        verbose_name = _("DSL line")
        verbose_name_plural = _("DSL lines")

    def __str__(self) -> str:
        return f"DSL {self.phone_number or '?'} — {self.offersubscription.reference}"
