"""What a configuration app writes to push its configurations to the network."""

from abc import ABC, abstractmethod
from typing import Any


class Provisioner(ABC):
    """Pushes one kind of configuration to one far end (LDAP, RADIUS SQL, a BNG…).

    Coin calls ``snapshot()`` inside the transaction that changes the configuration
    and stores the result in a ProvisioningJob; the background worker later calls
    ``apply()`` with that snapshot, and retries with backoff as long as it raises.
    ``apply()`` must therefore be idempotent: applying the same snapshot twice leaves
    the far end in the same state.
    """

    #: Short, stable name shown in the admin (e.g. "vpn-ldap").
    name: str = ""

    @abstractmethod
    def snapshot(self, configuration: Any, action: str) -> dict[str, Any]:
        """JSON-serialisable description of what the far end must hold after
        ``action`` ("update", "delete", "suspend", "resume"). Called in the saving
        transaction: read the database here, not in apply()."""

    @abstractmethod
    def apply(self, action: str, payload: dict[str, Any]) -> None:
        """Make the far end match ``payload``; raise any exception to retry later."""

    def failed(self, action: str, payload: dict[str, Any], error: Exception) -> None:
        """Called after ``apply()`` raised ``error`` and its writes were rolled back, in
        the transaction that marks the job failed: the place to keep a record of the
        failed attempt (e.g. the CoA requests a BNG did not acknowledge), which
        ``apply()`` itself cannot write. Does nothing by default; its own errors are
        logged, never raised."""
        return None
