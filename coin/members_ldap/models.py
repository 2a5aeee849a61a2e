"""What Coin keeps about a member's LDAP entry: the password hash that slapd
verifies (never the password) and the POSIX id number."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DirectoryAccount(models.Model):
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="directory_account",
        verbose_name=_("member"),
    )
    password_hash = models.CharField(
        _("LDAP password hash"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_(
            "Salted hash written to the entry's userPassword when the member sets a password; "
            "empty until then."
        ),
    )
    id_number = models.PositiveIntegerField(
        _("POSIX id"),
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=_("uidNumber and gidNumber of the entry, taken once from MEMBERS_LDAP_ID_RANGE."),
    )

    class Meta:
        verbose_name = _("LDAP account")
        verbose_name_plural = _("LDAP accounts")

    def __str__(self) -> str:
        return f"LDAP {self.member_id}"
