"""Benchmark of Coin's CoA client (coa.client.exchange) against FreeRADIUS's radclient.

    .venv/bin/python bench/bench_coa.py   (make bench)

Starts one ``manage.py coa_server --quiet`` (the test BNG) on 127.0.0.1, then sends it
the same 1,000 CoA-Requests (User-Name, Acct-Session-Id, Framed-IP-Address,
NAS-IP-Address, Filter-Id, Event-Timestamp and Message-Authenticator each) in the
same run: with ``radclient -p 100`` (100 requests in flight) and with Coin's client
keeping 100 in flight too (validation against the dictionaries included), the two
alternating for five rounds. Prints every round, both rates and the ratio of the best
and of the median rounds (goal: Coin at least as fast, on the best rounds). The test
BNG is Python too and shares the machine's cores with both clients.

For honesty it also prints radclient's fixed cost (starting and reading FreeRADIUS's
dictionaries: the same command with one request), which its time includes and
Coin's (an already-running process, dictionaries loaded) does not, and the ratio
with that cost taken off radclient's time.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "thirdparty")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coin.settings_test")

import django  # noqa: E402

django.setup()

from report import record  # noqa: E402  (bench/ is the script's folder)

from coa.client import Target, exchange  # noqa: E402
from coa.dictionary import validate_pairs  # noqa: E402
from coa.tests.coa_peer import coa_server  # noqa: E402

SECRET = "bench-secret"


def requests(count: int) -> list[dict]:
    return [
        {
            "User-Name": f"sub-{n:05d}",
            "Acct-Session-Id": f"{n:08X}",
            "Framed-IP-Address": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "NAS-IP-Address": "127.0.0.1",
            "Filter-Id": "gold",
        }
        for n in range(count)
    ]


def radclient_file(items: list[dict], folder: str, name: str = "requests.txt") -> str:
    path = Path(folder) / name
    now = int(time.time())
    blocks = []
    for item in items:
        lines = [
            f"{name} = {value}" if "IP" in name else f'{name} = "{value}"' for name, value in item.items()
        ]
        lines += [f"Event-Timestamp = {now}", "Message-Authenticator = 0x00"]
        blocks.append("\n".join(lines))
    path.write_text("\n\n".join(blocks) + "\n")
    return str(path)


def run_radclient(port: int, path: str, parallel: int) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [shutil.which("radclient"), "-q", "-p", str(parallel), "-r", "3", "-t", "3", "-f", path,
         f"127.0.0.1:{port}", "coa", SECRET],
        capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"radclient failed ({done.returncode}): {done.stdout}{done.stderr}")
    return elapsed


def run_coin(port: int, items: list[dict], parallel: int) -> float:
    target = Target("127.0.0.1", port, SECRET.encode(), timeout=3, retries=2)
    start = time.perf_counter()
    batch = [(target, 43, validate_pairs(item)) for item in items]
    answers = exchange(batch, window=parallel)
    elapsed = time.perf_counter() - start
    acknowledged = sum(answer.acknowledged for answer in answers)
    if acknowledged != len(items):
        raise SystemExit(f"Coin's client: {acknowledged} of {len(items)} acknowledged")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("radclient"):
        raise SystemExit("radclient is missing: scripts/bootstrap.sh test installs freeradius-utils")
    items = requests(args.requests)
    with tempfile.TemporaryDirectory() as folder, coa_server("--quiet", secret=SECRET) as bng:
        path = radclient_file(items, folder)
        single = radclient_file(items[:1], folder, "one.txt")
        radclient_times, coin_times, startup_times = [], [], []
        run_coin(bng.port, items[:100], args.parallel)  # warm-up (first sockets, dictionary lookups)
        for _round in range(args.rounds):
            radclient_times.append(run_radclient(bng.port, path, args.parallel))
            coin_times.append(run_coin(bng.port, items, args.parallel))
            startup_times.append(run_radclient(bng.port, single, args.parallel))
    reference, elapsed = min(radclient_times), min(coin_times)
    startup = min(startup_times)
    median_reference, median_elapsed = statistics.median(radclient_times), statistics.median(coin_times)
    print(f"{args.requests} CoA-Requests to coa_server, {args.parallel} in flight, {args.rounds} rounds:")
    print("  radclient (s):     " + " ".join(f"{t:.3f}" for t in radclient_times))
    print("  Coin's client (s): " + " ".join(f"{t:.3f}" for t in coin_times))
    label = f"radclient -p {args.parallel}:"
    print(f"{label:28}{args.requests / reference:8.0f} requests/s (best {reference:.3f} s)")
    print(f"Coin's client (coa.client): {args.requests / elapsed:8.0f} requests/s (best {elapsed:.3f} s)")
    print(f"ratio Coin / radclient:     {reference / elapsed:8.2f}  best rounds (goal: at least 1)")
    print(f"                            {median_reference / median_elapsed:8.2f}  median rounds")
    print(
        f"radclient's fixed cost (one request): {startup:.3f} s; without it: "
        f"{(reference - startup) / elapsed:.2f} (best rounds)"
    )
    met = record(
        f"CoA: {args.requests} requests, {args.parallel} in flight (time)",
        f"radclient -p {args.parallel}",
        elapsed / reference,
        1.0,
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
