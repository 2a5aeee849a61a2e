"""Rendering many bills' PDFs on every core (a charge run's batch of invoices).

WeasyPrint is pure Python and single-threaded: one process renders on one core. A
batch is cut into chunks rendered by a pool of worker processes, one per core by
default (PDF_RENDER_PROCESSES). The processes are spawned, not forked (a fork would
share the parent's database connection), set Django up with the parent's settings
module and database settings, and are replaced after some chunks so that memory
stays bounded over a batch of any size (WeasyPrint's and fontconfig's caches grow).
A chunk that fails on an invoice goes on with the others; the ids that failed are
returned for the task to report.
"""

import gc
import logging
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, connections

logger = logging.getLogger(__name__)

CHUNK = 25  # invoices per chunk: small enough to spread, large enough to amortise
CHUNKS_PER_PROCESS = 20  # then the processes are replaced (500 invoices each)


def processes_for(count: int) -> int:
    """How many processes render ``count`` invoices: PDF_RENDER_PROCESSES, else one
    per core, never more than there are chunks; one (this process) when other
    processes could not see the invoices: inside a transaction (not committed yet)
    or on an in-memory SQLite database."""
    wanted = getattr(settings, "PDF_RENDER_PROCESSES", None) or os.cpu_count() or 1
    if connection.in_atomic_block or _in_memory_database():
        return 1
    return max(1, min(wanted, -(-count // CHUNK)))


def _in_memory_database() -> bool:
    name = str(connection.settings_dict.get("NAME") or "")
    return connection.vendor == "sqlite" and (not name or ":memory:" in name or "mode=memory" in name)


def chunks(ids: Sequence[int], size: int | None = None) -> Iterator[list[int]]:
    size = size or CHUNK
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _set_up(settings_module: str, overrides: dict[str, Any]) -> None:
    """A spawned process: Django with the parent's settings (and the database and
    storage it actually uses, which a test or a command may have changed)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django
    from django.conf import settings as child_settings

    for name, value in overrides.items():
        setattr(child_settings, name, value)
    django.setup()
    freeze_start_up_objects()


def freeze_start_up_objects() -> None:
    """Put what exists now (Django's apps, models, templates: the process's start-up)
    out of the garbage collector's reach. It lives as long as the process; left in,
    every full collection of a render's many short-lived objects walks it again."""
    gc.collect()
    gc.freeze()


def render_chunk(invoice_ids: list[int]) -> tuple[list[str], list[int]]:
    """Render and store each invoice's PDF; (stored names, ids that failed)."""
    from coin.billing.models import Invoice
    from coin.billing.pdf import ensure_pdf

    names, failed = [], []
    invoices = Invoice.objects.validated().select_related("member").in_bulk(invoice_ids)
    for invoice_id in invoice_ids:
        invoice = invoices.get(invoice_id)
        if invoice is None:
            names.append("")
            continue
        try:
            names.append(ensure_pdf(invoice).name or "")
        except Exception:
            logger.exception("Could not render the PDF of invoice #%s.", invoice_id)
            names.append("")
            failed.append(invoice_id)
    return names, failed


def render_invoice_pdfs(
    invoice_ids: Sequence[int], processes: int | None = None
) -> tuple[list[str], list[int]]:
    """Render and store the PDFs of ``invoice_ids`` on ``processes`` processes (default
    processes_for()); (stored names in the ids' order, ids that failed)."""
    processes = processes or processes_for(len(invoice_ids))
    if processes <= 1:
        names, failed = [], []
        for chunk in chunks(invoice_ids):
            chunk_names, chunk_failed = render_chunk(chunk)
            names += chunk_names
            failed += chunk_failed
        return names, failed
    overrides = {
        name: getattr(settings, name)
        for name in ("DATABASES", "PRIVATE_STORAGE_ROOT", "MEDIA_ROOT", "INVOICE_FACTURX", "INVOICE_LANGUAGE")
    }
    # The processes open their own connections; the parent's is not inherited.
    connections.close_all()
    context = multiprocessing.get_context("spawn")
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "coin.settings")
    names, failed = [], []
    all_chunks = list(chunks(invoice_ids))
    # A new pool every CHUNKS_PER_PROCESS chunks per process, rather than
    # ``max_tasks_per_child``, which deadlocks on Python < 3.13 (CPython issue 115634).
    segment = processes * CHUNKS_PER_PROCESS
    for start in range(0, len(all_chunks), segment):
        with ProcessPoolExecutor(
            max_workers=processes,
            mp_context=context,
            initializer=_set_up,
            initargs=(settings_module, overrides),
        ) as pool:
            for chunk_names, chunk_failed in pool.map(render_chunk, all_chunks[start : start + segment]):
                names += chunk_names
                failed += chunk_failed
    return names, failed
