"""What every part of Coin that writes to LDAP shares: the connection settings and
the bound connection (``directory``), paged reads and pipelined writes, comparing
an entry with its wanted state, and the salted password hashes that slapd verifies
(``passwords``). Used by the vpn app (OpenVPN accounts) and by coin.members (members
in LDAP); it imports neither."""
