"""What only PostgreSQL guarantees: cidr columns, exclusion constraints, and
allocations racing in separate processes. Deselected on SQLite (conftest)."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from coin.resources.allocation import PoolExhausted, allocate_subnet
from coin.resources.models import IPPool, IPSubnet, SubnetOverlap

pytestmark = pytest.mark.postgres_only
ROOT = Path(settings.BASE_DIR)


@pytest.mark.django_db
def test_network_columns_are_cidr():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, data_type FROM information_schema.columns "
            "WHERE column_name = 'inet' AND table_name LIKE 'resources_%%' ORDER BY table_name"
        )
        assert cursor.fetchall() == [
            ("resources_ippool", "cidr"),
            ("resources_ipsubnet", "cidr"),
            ("resources_ipsubnetassignment", "cidr"),
        ]


@pytest.mark.django_db
def test_the_database_refuses_overlapping_subnets_even_without_the_checks(pool_v4):
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.0/25")
    with pytest.raises(IntegrityError, match="resources_ipsubnet_no_overlap"), transaction.atomic():
        IPSubnet.objects.bulk_create([IPSubnet(ip_pool=pool_v4, inet="192.0.2.64/26")])  # no check at all
    subnet = IPSubnet(ip_pool=pool_v4, inet="192.0.2.96/27")
    with pytest.raises(SubnetOverlap) as excinfo, transaction.atomic():
        subnet.store(check_overlap=False)  # skip the application's check: the database still says no
    assert "refused by the database" in excinfo.value.message_dict["inet"][0]
    assert IPSubnet.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_overlapping_pools(pool_v4):
    with pytest.raises(IntegrityError, match="resources_ippool_no_overlap"), transaction.atomic():
        IPPool.objects.bulk_create([IPPool(name="inside", inet="192.0.2.128/25", default_subnetsize=32)])


@pytest.mark.django_db(transaction=True)
def test_a_subnet_typed_by_hand_and_an_allocation_take_turns_on_the_pool(make_pool):
    """The hand-typed writer holds the pool's lock until it commits: the allocation
    waits for it, then sees its row and takes the next block."""
    pool = make_pool("10.0.0.0/29", 32)
    inserted, errors = threading.Event(), []

    def manual_writer():
        try:
            with transaction.atomic():
                IPSubnet.objects.create(ip_pool=pool, inet="10.0.0.0/32")  # typed by hand
                inserted.set()
                time.sleep(0.5)  # still uncommitted while the allocation starts
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
            inserted.set()
        finally:
            connection.close()

    writer = threading.Thread(target=manual_writer)
    writer.start()
    assert inserted.wait(10)
    started = time.monotonic()
    subnet = allocate_subnet(pool)  # waits on the pool's lock
    waited = time.monotonic() - started
    writer.join(10)
    assert errors == []
    assert waited > 0.2  # it did wait for the writer's commit
    assert str(subnet.inet) == "10.0.0.1/32"
    assert sorted(str(s.inet) for s in IPSubnet.objects.all()) == ["10.0.0.0/32", "10.0.0.1/32"]


WORKER = """
import os, time
from pathlib import Path
from coin.resources.allocation import PoolExhausted, allocate_subnet
from coin.resources.models import IPPool
pool = IPPool.objects.get(pk=int(os.environ["POOL_ID"]))
Path(os.environ["GO_FILE"] + "." + str(os.getpid())).touch()  # ready: Django loaded, connected
go = Path(os.environ["GO_FILE"])
while not go.exists():
    time.sleep(0.002)
for _ in range(int(os.environ["ATTEMPTS"])):
    try:
        print("OK", allocate_subnet(pool).inet, flush=True)
    except PoolExhausted as error:
        print("FULL", error.messages[0], flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_allocating_at_once_never_overlap(make_pool, tmp_path):
    pool = make_pool("198.51.100.0/27", 32, name="Small pool")  # 32 blocks for 2 × 20 attempts
    database = connection.settings_dict
    host = database["HOST"] or database["OPTIONS"].get("host", "")
    url = f"postgres://{database['USER']}@/{database['NAME']}?host={host}"
    go = tmp_path / "go"
    env = {
        **os.environ,
        "COIN_DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "coin.settings_test",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "thirdparty")]),
        "POOL_ID": str(pool.pk),
        "GO_FILE": str(go),
        "ATTEMPTS": "20",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "shell", "--no-imports", "-c", WORKER],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # both start allocating at once
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (_stdout, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr
        assert "Traceback" not in stderr, stderr
    lines = [line for stdout, _stderr in outputs for line in stdout.splitlines()]
    allocated = [line.split()[1] for line in lines if line.startswith("OK ")]
    refused = [line for line in lines if line.startswith("FULL ")]
    assert len(lines) == 40
    assert len(allocated) == 32 and len(set(allocated)) == 32
    # The error names the pool and the size (in the language of the settings).
    assert all("Small pool" in line and "/32" in line for line in refused) and len(refused) == 8
    assert all(len(stdout.splitlines()) == 20 for stdout, _ in outputs)
    assert all("OK " in stdout for stdout, _ in outputs)  # both really allocated, interleaved
    assert sorted(str(s.inet) for s in IPSubnet.objects.all()) == sorted(
        f"198.51.100.{n}/32" for n in range(32)
    )
    with pytest.raises(PoolExhausted):
        allocate_subnet(pool)
