"""Each member's LDAP state on the member's admin page (an inline added to
whatever admin class coin.members registered)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coin.admin_inlines import add_inline
from coin.members.models import Member
from coin.members_ldap import conf, directory
from coin.members_ldap.models import DirectoryAccount
from coin.members_ldap.status import ldap_state


class DirectoryAccountInline(admin.StackedInline):
    model = DirectoryAccount
    can_delete = False
    extra = 0
    max_num = 1
    verbose_name = verbose_name_plural = _("LDAP entry")
    fields = readonly_fields = ("entry_dn", "password_state", "id_number", "ldap_status")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("entry"))
    def entry_dn(self, account: DirectoryAccount) -> str:
        return directory.member_dn(account.member.username)

    @admin.display(description=_("password"))
    def password_state(self, account: DirectoryAccount) -> str:
        if account.password_hash:
            return gettext("salted hash set (%(scheme)s)") % {
                "scheme": account.password_hash.split("}")[0] + "}"
            }
        return gettext("none yet: the member must set a password to bind")

    @admin.display(description=_("LDAP state"))
    def ldap_status(self, account: DirectoryAccount) -> str:
        state = ldap_state(account.member)
        return format_html(
            '<span class="{}">{}</span> {}',
            "ldap-ok" if state.in_sync else "ldap-pending",
            state.label,
            state.detail,
        )


def add_member_inline(
    inline: type[admin.options.InlineModelAdmin], site: admin.AdminSite = admin.site
) -> None:
    """Show ``inline`` on the member's admin page without coin.members knowing it:
    re-register the member admin as a subclass with one more inline."""
    add_inline(Member, inline, site)


class LDAPInlineWhenEnabled(DirectoryAccountInline):
    """Shown only while members in LDAP are on
    (settings are read at each request)."""

    def has_view_permission(self, request, obj=None) -> bool:
        return conf.enabled() and super().has_view_permission(request, obj)


add_member_inline(LDAPInlineWhenEnabled)
