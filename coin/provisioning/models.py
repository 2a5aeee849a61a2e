from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProvisioningJob(models.Model):
    """One change to push to the network, recorded in the same transaction as the
    change itself, so that nothing is lost when the far end is down."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        FAILED = "failed", _("failed, will retry")
        DONE = "done", _("done")

    subject = models.CharField(
        _("subject"),
        max_length=100,
        db_index=True,
        help_text=_("Jobs of the same subject run one at a time, in order."),
    )
    configuration = models.ForeignKey(
        "configuration.Configuration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="provisioning_jobs",
        verbose_name=_("configuration"),
    )
    provisioner = models.CharField(_("provisioner"), max_length=255)
    action = models.CharField(_("action"), max_length=20)
    payload = models.JSONField(_("payload"), default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("provisioning job")
        verbose_name_plural = _("provisioning jobs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.subject} via {self.provisioner_name}"

    @property
    def provisioner_name(self) -> str:
        return self.provisioner.rsplit(".", 1)[-1]
