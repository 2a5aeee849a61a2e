"""Members in LDAP (optional): one entry per member under MEMBERS_LDAP_BASE_DN, so
the ISP's other services (webmail, wiki, the OpenVPN plugin's RequireGroup…) log
members in against the same directory. See conf.py for the settings."""
