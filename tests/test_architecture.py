"""The architecture as written (docs/architecture.md's table of apps) against the
layers contract that ``lint-imports`` enforces (setup.cfg) and the imports the code
makes (grimp, which import-linter ships), and no import circle between files of
different apps or inside billing (scripts/import_cycles.py)."""

import fnmatch
import re
import sys
from pathlib import Path

import pytest
from importlinter.api import read_configuration

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import import_cycles  # noqa: E402

OPTIONAL_APPS = {"vpn", "coa", "simple_dsl", "hardware_provisioning"}


def documented_dependencies() -> dict[str, set[str]]:
    """``{app: {apps it depends on}}`` from the table under "## The apps"; ``{"*"}``
    for "all"."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## The apps", 1)[1]
    table = next(block for block in section.split("\n\n") if block.startswith("| app |"))
    dependencies = {}
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        app = re.match(r"`([^`]+)`", cells[0]).group(1)
        if app == "coin":
            continue  # the project package: settings, URLs, demo loader, shared helpers
        listed = re.sub(r"\([^)]*\)", "", cells[-1])
        names = {name.strip() for name in listed.split(",") if name.strip() not in ("", "—")}
        dependencies[app] = {"*"} if names == {"all"} else {qualified(name) for name in names}
    return dependencies


def qualified(name: str) -> str:
    return name if name in OPTIONAL_APPS or name.startswith("coin.") else f"coin.{name}"


def layers_contract() -> dict:
    contracts = read_configuration(str(ROOT / "setup.cfg"))["contracts_options"]
    return next(contract for contract in contracts if contract["type"] == "layers")


def layer_ranks() -> dict[str, int]:
    """``{app: rank}``, 0 for the lowest layer; apps of one layer share a rank."""
    layers = layers_contract()["layers"]
    return {
        app.strip(): len(layers) - 1 - position
        for position, layer in enumerate(layers)
        for app in re.split(r"[|:]", layer)
    }


def ignored(importer: str, imported: str) -> bool:
    """An import the contract lets through (its ignore_imports, wildcards as in
    import-linter: ``*`` one name, ``**`` any)."""

    def pattern(expression: str) -> str:
        return expression.strip().replace("**", "\0").replace("*", "[!.]*").replace("\0", "*")

    for line in layers_contract()["ignore_imports"]:
        left, right = line.split("->")
        if fnmatch.fnmatchcase(importer, pattern(left)) and fnmatch.fnmatchcase(imported, pattern(right)):
            return True
    return False


def test_the_table_lists_the_apps_of_the_contract():
    assert set(documented_dependencies()) == set(layer_ranks())


def test_every_documented_dependency_is_allowed_by_the_contract():
    ranks = layer_ranks()
    for app, dependencies in documented_dependencies().items():
        for dependency in dependencies - {"*"}:
            assert ranks[dependency] < ranks[app], f"{app} → {dependency}: the contract puts it above {app}"


def test_the_table_lists_every_dependency_the_code_has():
    """Every import from one app into another (tests aside) is in the table, but for
    the breaches the contract lists in ignore_imports (each one to remove)."""
    documented = documented_dependencies()
    missing = set()
    for importer, imported_modules in import_cycles.import_graph().items():
        source = import_cycles.app_of(importer)
        if source not in documented or ".tests" in importer:
            continue
        for imported in imported_modules:
            target = import_cycles.app_of(imported)
            if target == source or target not in layer_ranks() or ignored(importer, imported):
                continue
            if "*" not in documented[source] and target not in documented[source]:
                missing.add(f"{source} → {target} ({importer} imports {imported})")
    assert not missing, "docs/architecture.md's table misses:\n" + "\n".join(sorted(missing))


def test_no_import_circle_between_apps_nor_inside_billing():
    circles = import_cycles.forbidden_circles(import_cycles.strongly_connected(import_cycles.import_graph()))
    assert circles == [], circles


def test_the_circles_left_inside_one_app_are_the_known_ones():
    """Circles inside one app are allowed but better gone: none may be added. Left:
    resources' models ↔ changes, and CoA's models ↔ operations ↔ session changes."""
    apps = {
        import_cycles.app_of(next(iter(group)))
        for group in import_cycles.strongly_connected(import_cycles.import_graph())
    }
    assert apps <= {"coin.resources", "coa"}, apps


@pytest.mark.parametrize(
    ("graph", "circles"),
    [
        ({"a.x": {"a.y"}, "a.y": {"a.x"}}, [{"a.x", "a.y"}]),
        ({"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "b": {"a.x"}}, [{"a.x", "a.y", "a.z"}]),
        ({"a.x": {"a.y"}, "a.y": set()}, []),
    ],
)
def test_circles_are_found(graph, circles):
    assert sorted(map(sorted, import_cycles.strongly_connected(graph))) == sorted(map(sorted, circles))


def test_forbidden_circles_are_those_across_apps_or_inside_billing():
    across = {"coin.offers.models", "coin.resources.models"}
    billing = {"coin.billing.ledger", "coin.billing.suspension"}
    inside_members = {"coin.members.models", "coin.members.emails"}
    assert import_cycles.forbidden_circles([across, billing, inside_members]) == [across, billing]


def test_admin_list_filters_that_are_rules_come_from_filtersets():
    """An admin list filter that is more than a model field (a SimpleListFilter) is
    made from its model's FilterSet (``coin.admin_filters.list_filter``), the one the
    API uses, so that no filter is written twice. Left: CoA's session state (its
    app's helper rewrites it). Libraries' filters (django-polymorphic's, django-axes')
    are theirs."""
    from django.contrib import admin
    from polymorphic.admin import PolymorphicChildModelFilter

    from coin.admin_filters import FilterSetListFilter

    hand_written = set()
    for model_admin in admin.site._registry.values():
        for entry in model_admin.list_filter:
            if not isinstance(entry, type) or not issubclass(entry, admin.SimpleListFilter):
                continue
            ours = entry.__module__.split(".")[0] in import_cycles.PACKAGES
            if not ours or issubclass(entry, FilterSetListFilter | PolymorphicChildModelFilter):
                continue
            hand_written.add(f"{entry.__module__}.{entry.__qualname__}")
    assert hand_written <= {"coa.admin.SessionStateFilter"}, hand_written
