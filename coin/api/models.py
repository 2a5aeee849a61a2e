"""API tokens, stored hashed: the key is shown once, when the token is created;
afterwards only its first characters (``prefix``) are known to Coin."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Characters of the key kept in clear, to tell tokens apart.
PREFIX_LENGTH = 8


def digest(key: str) -> str:
    """The SHA-256 of a key (keys are 256 random bits: no salt or slow hash needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A new random key (256 bits)."""
    return secrets.token_urlsafe(32)


class APITokenManager(models.Manager["APIToken"]):
    def issue(self, user, name: str = "") -> tuple["APIToken", str]:
        """A new token for ``user`` and its key, which is not stored and cannot be
        shown again."""
        key = new_key()
        token = self.model(user=user, name=name)
        token.set_key(key)
        token.save()
        return token, key


class APIToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("What the token is for."))
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, editable=False)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = APITokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})" if self.user_id else f"{self.prefix}…"

    def set_key(self, key: str) -> None:
        """Keep what identifies ``key`` (its prefix and digest), never the key itself."""
        self.prefix = key[:PREFIX_LENGTH]
        self.digest = digest(key)
