"""vpn: OpenVPN accounts, pushed to an LDAP directory that the OpenVPN server reads.

Enable it with ``EXTRA_INSTALLED_APPS = ["vpn"]``. The LDAP entry of each account
is written by a provisioner on Coin's queue (vpn.provisioning), and
``manage.py vpn_ldap_sync`` repairs any drift. The OpenVPN side is in
contrib/openvpn/.
"""
