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

    # Shown to the member on their service's page (coin.portal).
    member_fields = ["phone_number"]

    class Meta:
        verbose_name = _("DSL line")
        verbose_name_plural = _("DSL lines")

    def __str__(self) -> str:
        if not self.phone_number:
            return _("DSL line without phone number — %(reference)s") % {
                "reference": self.offersubscription.reference
            }
        return f"DSL {self.phone_number} — {self.offersubscription.reference}"
