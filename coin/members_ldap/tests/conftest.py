import pytest


@pytest.fixture
def members_ldap(ldap_server, settings):
    """Members in LDAP on, pointing at the private slapd (empty)."""
    settings.MEMBERS_LDAP_BASE_DN = ldap_server.members_dn
    return ldap_server


@pytest.fixture(autouse=True)
def autouse_english(english):
    """Every test of this folder in English (the root conftest's ``english``)."""
