"""Where bills' PDFs live: a private folder that no URL serves directly.

Invoices carry names, addresses and amounts: they must never be reachable as public
media. They are stored under PRIVATE_STORAGE_ROOT and handed out by a view that
checks who asks (see documents.invoice_pdf_response), or by the web server itself
through X-Accel-Redirect / X-Sendfile when PRIVATE_FILES_OFFLOAD is set.
"""

import os
import tempfile

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage rooted at PRIVATE_STORAGE_ROOT, read at each use.

    The root is looked up on every access rather than cached at import time so that an
    installation (or a test) that changes the setting is obeyed at once. It has no base
    URL: asking for a public URL of a private file is an error.
    """

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str:  # type: ignore[override]
        return ""

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL: serve them through a view.")

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """Keep the name: a bill's PDF has one place, and rendering it again replaces it."""
        return name

    def _save(self, name: str, content) -> str:
        """Write to a temporary file beside the target, then rename it over the target:
        a reader (the web server, a download) sees the old file or the new one, never
        half of one, even when the worker and a download render the same bill at once."""
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pdf")
        try:
            with os.fdopen(descriptor, "wb") as file:
                for chunk in content.chunks():
                    file.write(chunk if isinstance(chunk, bytes) else chunk.encode())
            # mkstemp makes the file 0600; the web server may need to read it (offload).
            os.chmod(temporary, self.file_permissions_mode or 0o644)
            os.replace(temporary, full_path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return os.path.relpath(full_path, self.location).replace("\\", "/")


_private_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    """The storage of bills' PDFs (a callable, so that migrations do not freeze a path)."""
    return _private_storage
