"""Two members borrow the same item at the same moment, on PostgreSQL: exactly one
gets it. Each borrower is a thread with its own database connection; a barrier
starts them together. Checked twice: through the loan rules (row lock, then the
error naming ``item``) and with raw inserts that only the database's partial
unique index stops."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from hardware_provisioning import loans
from hardware_provisioning.models import Loan

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def run_together(target, count: int = 2) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index):
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except BaseException as error:  # the test looks at what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_two_members_borrowing_one_item_at_once_one_wins(item, member, other_member, settings):
    settings.HARDWARE_DIRECT_LOANS = True
    borrowers = [member, other_member]
    results = run_together(lambda i: loans.borrow(borrowers[i], item))
    won = [r for r in results if isinstance(r, Loan)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].message_dict == {"item": ["This item is already lent or requested."]}
    assert Loan.objects.open().filter(item=item).count() == 1


def test_the_database_alone_refuses_a_second_open_loan(item, member, other_member):
    """No lock, no clean(): two transactions insert an open loan of the same item at
    once; the partial unique index lets one commit and makes the other fail."""
    borrowers = [member, other_member]

    def insert(i):
        with transaction.atomic():
            return Loan.objects.create(item=item, member=borrowers[i], state=Loan.State.RUNNING)

    results = run_together(insert)
    assert sum(isinstance(r, Loan) for r in results) == 1, results
    errors = [r for r in results if isinstance(r, IntegrityError)]
    assert len(errors) == 1 and "hardware_one_open_loan_per_item" in str(errors[0])
    assert Loan.objects.filter(item=item).count() == 1
