"""One table for every benchmark of ``make bench``.

Each benchmark calls ``record()`` for each workload it measures: the workload,
what it is compared with (a reference measured in the same run), the ratio and
the goal. ``python bench/report.py`` prints the table of what was recorded since
``python bench/report.py --reset``, so a regression shows at a glance; ``make bench``
records a benchmark that exits with an error (``--failed``) as a failed row and runs
the others.

The records go to ``var/bench-report.jsonl`` (``COIN_BENCH_REPORT`` to change it).
"""

import argparse
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = Path(os.environ.get("COIN_BENCH_REPORT", ROOT / "var" / "bench-report.jsonl"))


def record(workload: str, reference: str, value: float, goal: float, unit: str = "×") -> bool:
    """Record one measure (lower is better); return whether it meets its goal."""
    met = value <= goal
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a") as report:
        line = {"workload": workload, "reference": reference, "value": value, "goal": goal, "unit": unit}
        report.write(json.dumps(line) + "\n")
    return met


def rows() -> list[dict]:
    if not REPORT.exists():
        return []
    return [json.loads(line) for line in REPORT.read_text().splitlines() if line.strip()]


def table(records: list[dict]) -> str:
    headers = ("workload", "reference", "measured", "goal", "")
    lines = [
        (
            row["workload"],
            row["reference"],
            f"{row['value']:.2f}".rstrip("0").rstrip(".") + f" {row['unit']}",
            f"≤ {row['goal']:g} {row['unit']}",
            "pass" if row["value"] <= row["goal"] else "FAIL",
        )
        for row in records
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *lines, strict=False)]
    render = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in [headers, *lines]
    ]
    render.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(render)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true", help="forget what was recorded (start of a run)")
    parser.add_argument("--failed", metavar="BENCHMARK", help="record that BENCHMARK exited with an error")
    args = parser.parse_args()
    if args.reset:
        REPORT.unlink(missing_ok=True)
        return 0
    if args.failed:
        # Its own rows (if any) stay: this one says the table may lack some of them.
        record(f"{args.failed} exited with an error", "its exit status", 1, 0, unit="error(s)")
        return 0
    records = rows()
    print("\n== Benchmarks: each workload against its reference, measured in the same run\n")
    print(table(records) if records else "(nothing recorded)")
    return 0 if all(row["value"] <= row["goal"] for row in records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
