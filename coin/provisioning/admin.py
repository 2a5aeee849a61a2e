from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from coin.provisioning.jobs import replay, retry_now
from coin.provisioning.models import ProvisioningJob


@admin.register(ProvisioningJob)
class ProvisioningJobAdmin(admin.ModelAdmin):
    list_display = [
        "id", "subject", "provisioner_name", "action", "state", "attempts", "created_at",
        "next_attempt_at", "short_error",
    ]  # fmt: skip
    list_filter = ["state", "action", "provisioner"]
    search_fields = ["subject", "last_error"]
    date_hierarchy = "created_at"
    actions = ["retry_selected_now", "replay_selected"]
    readonly_fields = [f.name for f in ProvisioningJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("last error"))
    def short_error(self, job: ProvisioningJob) -> str:
        return job.last_error.splitlines()[-1][:120] if job.last_error else ""

    @admin.action(description=_("Retry the selected unfinished jobs now"), permissions=["view"])
    def retry_selected_now(self, request, queryset):
        count = retry_now(queryset)
        self.message_user(request, ngettext("%d job will run now.", "%d jobs will run now.", count) % count)

    @admin.action(description=_("Push the selected finished jobs again"), permissions=["view"])
    def replay_selected(self, request, queryset):
        count = replay(queryset)
        self.message_user(
            request,
            ngettext("%d job pushed again.", "%d jobs pushed again.", count) % count,
            messages.SUCCESS,
        )
