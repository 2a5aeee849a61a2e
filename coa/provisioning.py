"""Keeps FreeRADIUS's radcheck/radreply/radusergroup rows in step with RADIUS accounts."""

from coin.provisioning.base import Provisioner


class RadiusProvisioner(Provisioner):
    name = "radius-sql"

    def snapshot(self, configuration, action):
        from coa.radius import account_state
        from coin.billing.suspension import is_suspended

        if action == "suspend":
            suspended = True
        elif action == "resume":
            suspended = False
        else:
            suspended = is_suspended(configuration.offersubscription)
        return account_state(configuration, suspended)

    def apply(self, action, payload):
        from coa.radius import remove_logins, write_account

        if action == "delete":
            remove_logins([payload["login"], *payload.get("previous_logins", [])])
        else:
            write_account(payload)
