"""Import circles between Coin's files, as ``lint-imports`` sees imports (grimp, which
import-linter ships: every import, at module level or inside a function, but those
under ``if TYPE_CHECKING:``, which only name types).

A circle is a strongly connected group of modules. Reported: circles that join files
of different apps (``coin.billing`` and ``coin.offers``, ``vpn`` and ``coin``'s own
modules…) and circles inside billing (``coin.billing``), where the ledger,
suspension, reminders, documents and tasks must stay in layers. Circles inside
another app are printed too, as ones to remove, but do not fail.

    .venv/bin/python scripts/import_cycles.py     # prints them; exit status 1 if any

Used by tests/test_architecture.py.
"""

import sys
from collections.abc import Iterable
from pathlib import Path

PACKAGES = ("coin", "vpn", "coa", "simple_dsl", "hardware_provisioning")
CORE_APPS = {
    "api",
    "billing",
    "configuration",
    "isp_database",
    "members",
    "members_ldap",
    "offers",
    "portal",
    "provisioning",
    "resources",
}


def app_of(module: str) -> str:
    """``coin.billing.pdf`` → ``coin.billing``; ``coin.dates`` → ``coin``; ``vpn.sync`` → ``vpn``."""
    parts = module.split(".")
    if parts[0] == "coin" and len(parts) > 1 and parts[1] in CORE_APPS:
        return f"coin.{parts[1]}"
    return parts[0]


def import_graph() -> dict[str, set[str]]:
    """Each module of PACKAGES and the modules of PACKAGES it imports."""
    import grimp

    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    graph = grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)
    return {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative: the groups of two or more modules that import
    each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)
    return groups


def forbidden_circles(groups: Iterable[set[str]]) -> list[set[str]]:
    """The circles that join two apps, or that stay inside billing."""
    return [
        group
        for group in groups
        if len({app_of(module) for module in group}) > 1
        or all(app_of(module) == "coin.billing" for module in group)
    ]


def main() -> int:
    graph = import_graph()
    groups = strongly_connected(graph)
    circles = forbidden_circles(groups)
    for group in circles:
        print("circle:", ", ".join(sorted(group)))
    for group in groups:
        if group not in circles:
            print("inside one app (allowed, better without):", ", ".join(sorted(group)))
    print(
        f"{len(graph)} modules, {sum(map(len, graph.values()))} imports, {len(circles)} forbidden circle(s)"
    )
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
