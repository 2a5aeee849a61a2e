"""The ISP's public identity: what /isp.json publishes for the FFDN database, and
what brands the portal, the emails and the invoices."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ISPInfo(models.Model):
    """One per installation."""

    class ProgressStatus(models.IntegerChoices):
        PROJECT = 1, _("1 - project, no legal structure yet")
        STRUCTURE = 2, _("2 - legal structure, no service yet")
        STARTING = 3, _("3 - first members, service being built")
        PILOT = 4, _("4 - service working for a few members")
        RUNNING = 5, _("5 - service open to new members")
        GROWING = 6, _("6 - several services or areas")
        MATURE = 7, _("7 - established")

    name = models.CharField(_("name"), max_length=512, help_text=_("The ISP's name"))
    shortname = models.CharField(_("short name"), max_length=15, blank=True)
    description = models.TextField(_("description"), blank=True)
    logoURL = models.URLField(_("logo URL"), blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("contact email"))
    mainMailingList = models.EmailField(_("main mailing list"), blank=True)
    creationDate = models.DateField(_("creation date"), null=True, blank=True)
    ffdnMemberSince = models.DateField(_("FFDN member since"), null=True, blank=True)
    progressStatus = models.PositiveSmallIntegerField(
        _("progress status"),
        choices=ProgressStatus.choices,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )
    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    administrative_email = models.EmailField(
        _("administrative email"),
        blank=True,
        help_text=_("Sender of administrative emails (welcome, fees, invoices) when set."),
    )
    support_email = models.EmailField(
        _("support email"),
        blank=True,
        help_text=_("Shown to members who need help."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ISP identity")
        verbose_name_plural = _("ISP identity")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if ISPInfo.objects.exclude(pk=self.pk).exists():
            raise ValidationError(_("There is already an ISP identity: edit it instead."))
        if (self.latitude is None) != (self.longitude is None):
            missing = "longitude" if self.longitude is None else "latitude"
            raise ValidationError({missing: _("Give both the latitude and the longitude, or neither.")})

    @property
    def display_name(self) -> str:
        return self.shortname or self.name


class RegisteredOffice(models.Model):
    isp = models.OneToOneField(ISPInfo, on_delete=models.CASCADE, related_name="registered_office")
    post_office_box = models.CharField(_("post office box"), max_length=512, blank=True)
    extended_address = models.CharField(_("extended address"), max_length=512, blank=True)
    street_address = models.CharField(_("street address"), max_length=512, blank=True)
    locality = models.CharField(_("locality"), max_length=512)
    region = models.CharField(_("region"), max_length=512)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    country_name = models.CharField(_("country"), max_length=512)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)

    class Meta:
        verbose_name = _("registered office")
        verbose_name_plural = _("registered offices")

    def __str__(self) -> str:
        return ", ".join(p for p in [self.street_address, self.postal_code, self.locality] if p)

    def clean(self) -> None:
        if (self.post_office_box or self.extended_address) and not self.street_address:
            raise ValidationError(
                {"street_address": _("Needed when a post office box or extended address is set.")}
            )


class OtherWebsite(models.Model):
    isp = models.ForeignKey(ISPInfo, on_delete=models.CASCADE, related_name="other_websites")
    name = models.CharField(_("name"), max_length=512)
    url = models.URLField(_("URL"))

    class Meta:
        verbose_name = _("other website")
        verbose_name_plural = _("other websites")
        constraints = [models.UniqueConstraint(fields=["isp", "name"], name="other_website_unique_name")]

    def __str__(self) -> str:
        return self.name


# An absolute URI (RFC 3986: a scheme, then no spaces), as the format's "uri" requires;
# chat rooms use many schemes (irc, ircs, xmpp, matrix, https), so URLField is too narrow.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+")


def validate_uri(value: str) -> None:
    if not _URI.fullmatch(value or ""):
        raise ValidationError(
            _("Enter a full address with its scheme, such as irc://irc.example.net/#isp."),
            code="invalid",
        )


class ChatRoom(models.Model):
    isp = models.ForeignKey(ISPInfo, on_delete=models.CASCADE, related_name="chat_rooms")
    url = models.CharField(
        _("URL"),
        max_length=256,
        validators=[validate_uri],
        help_text=_("e.g. irc://irc.example.net/#isp"),
    )

    class Meta:
        verbose_name = _("chat room")
        verbose_name_plural = _("chat rooms")
        constraints = [models.UniqueConstraint(fields=["isp", "url"], name="chat_room_unique_url")]

    def __str__(self) -> str:
        return self.url


def validate_area(value) -> None:
    """A covered area is a GeoJSON Polygon or MultiPolygon (the format's own rule)."""
    if value is None:
        return
    # A string here is a JSON string, not an object: /isp.json would publish it as is.
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(_("The area must be a GeoJSON Polygon or MultiPolygon."))
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise ValidationError(_("The area has no coordinates."))
    polygons = coordinates if value["type"] == "MultiPolygon" else [coordinates]
    for polygon in polygons:
        for ring in polygon if isinstance(polygon, list) else [None]:
            if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
                raise ValidationError(
                    _("Each ring of the area needs at least 4 positions and must be closed.")
                )
            for position in ring:
                # Exactly two numbers: the format's position allows no altitude.
                if (
                    not isinstance(position, list)
                    or len(position) != 2
                    or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in position)
                ):
                    raise ValidationError(_("Each position must be [longitude, latitude]."))


class CoveredArea(models.Model):
    class Technology(models.TextChoices):
        FTTH = "ftth", "FTTH"
        FTTB = "fttb", "FTTB"
        DSL = "dsl", "DSL"
        WIFI = "wifi", "Wi-Fi"
        VPN = "vpn", "VPN"
        CUBE = "cube", _("Internet cube")

    isp = models.ForeignKey(ISPInfo, on_delete=models.CASCADE, related_name="covered_areas")
    name = models.CharField(_("name"), max_length=512)
    technologies = models.JSONField(
        _("technologies"),
        default=list,
        help_text=_("Among: ftth, fttb, dsl, wifi, vpn, cube."),
    )
    area = models.JSONField(
        _("area"),
        null=True,
        blank=True,
        validators=[validate_area],
        help_text=_("Optional GeoJSON Polygon or MultiPolygon."),
    )

    class Meta:
        verbose_name = _("covered area")
        verbose_name_plural = _("covered areas")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        allowed = set(self.Technology.values)
        if not isinstance(self.technologies, list) or not set(self.technologies) <= allowed:
            raise ValidationError(
                {"technologies": _("Choose among: %s.") % ", ".join(self.Technology.values)}
            )


class BankInfo(models.Model):
    isp = models.OneToOneField(ISPInfo, on_delete=models.CASCADE, related_name="bank_info")
    iban = models.CharField(_("IBAN"), max_length=47)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    check_order = models.CharField(
        _("cheque payee"),
        max_length=100,
        blank=True,
        help_text=_("Name to write on cheques."),
    )
    creditor_identifier = models.CharField(
        _("SEPA creditor identifier (ICS)"),
        max_length=35,
        blank=True,
        help_text=_("Given by your bank to collect by SEPA direct debit, e.g. FR12ZZZ123456."),
    )

    class Meta:
        verbose_name = _("bank details")
        verbose_name_plural = _("bank details")

    def __str__(self) -> str:
        return self.iban

    def clean(self) -> None:
        """IBAN and BIC stored compact, and refused with the reason when invalid
        (``banking.check_iban`` / ``check_bic``)."""
        from coin.isp_database.banking import check_bic, check_creditor_identifier, check_iban, compact_iban

        errors = {}
        self.iban = compact_iban(self.iban)
        try:
            self.iban = check_iban(self.iban)
        except ValidationError as error:
            errors["iban"] = error.messages
        if self.bic:
            try:
                self.bic = check_bic(self.bic)
            except ValidationError as error:
                errors["bic"] = error.messages
        if self.creditor_identifier:
            try:
                self.creditor_identifier = check_creditor_identifier(self.creditor_identifier)
            except ValidationError as error:
                errors["creditor_identifier"] = error.messages
        if errors:
            raise ValidationError(errors)
