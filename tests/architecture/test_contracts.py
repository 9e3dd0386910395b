"""The published-face contract that lint-imports checks (tests/architecture/contracts.py)."""

import grimp
import pytest
from importlinter.domain.contract import ContractCheck

from tests.architecture.contracts import PublishedFaceContract, face_violations

FACE = dict(
    container="kyklos",
    public_modules={"services", "selectors", "models", "daily"},
    also_public={"kyklos.accounts.access"},
    shared_apps={"core"},
    exempt_importers={"kyklos.config"},
)


@pytest.mark.parametrize(
    "imported",
    [
        "kyklos.lifecycle.services",
        "kyklos.lifecycle.selectors",
        "kyklos.projects.services.quotes",  # a services package's submodule
        "kyklos.billing.models",
        "kyklos.support.daily",
        "kyklos.accounts.access",
        "kyklos.core.clock",
        "kyklos.portal.rows",  # inside the same app
    ],
)
def test_the_published_face_may_be_imported(imported):
    assert face_violations([("kyklos.portal.views", imported)], **FACE) == []


@pytest.mark.parametrize(
    "imported",
    ["kyklos.lifecycle.transitions", "kyklos.projects.admin", "kyklos.accounts.views"],
)
def test_an_apps_internals_may_not_be_imported_by_another_app(imported):
    assert face_violations([("kyklos.receivables.services", imported)], **FACE) == [
        ("kyklos.receivables.services", imported)
    ]


def test_the_composition_root_may_import_anything():
    assert face_violations([("kyklos.config.urls", "kyklos.privacy.urls")], **FACE) == []


def _contract():
    options = {
        "container": "kyklos",
        "public_modules": ["services", "models"],
        "shared_apps": ["core"],
    }
    return PublishedFaceContract(name="face", session_options={}, contract_options=options)


def test_the_contract_reports_each_broken_import_with_its_line():
    graph = grimp.ImportGraph()
    for module in [
        "kyklos",
        "kyklos.a",
        "kyklos.a.views",
        "kyklos.b",
        "kyklos.b.internals",
        "kyklos.b.services",
        "kyklos.core",
        "kyklos.core.clock",
    ]:
        graph.add_module(module)
    graph.add_import(
        importer="kyklos.a.views",
        imported="kyklos.b.internals",
        line_number=7,
        line_contents="from kyklos.b import internals",
    )
    graph.add_import(
        importer="kyklos.a.views",
        imported="kyklos.b.services",
        line_number=8,
        line_contents="from kyklos.b import services",
    )
    graph.add_import(
        importer="kyklos.a.views",
        imported="kyklos.core.clock",
        line_number=9,
        line_contents="from kyklos.core import clock",
    )

    check = _contract().check(graph, verbose=False)

    assert isinstance(check, ContractCheck)
    assert not check.kept
    assert check.metadata["broken"] == [
        {"importer": "kyklos.a.views", "imported": "kyklos.b.internals", "lines": [7]}
    ]


def test_the_contract_is_kept_when_only_faces_are_imported():
    graph = grimp.ImportGraph()
    for module in ["kyklos", "kyklos.a", "kyklos.a.views", "kyklos.b", "kyklos.b.services"]:
        graph.add_module(module)
    graph.add_import(
        importer="kyklos.a.views",
        imported="kyklos.b.services",
        line_number=1,
        line_contents="from kyklos.b import services",
    )

    assert _contract().check(graph, verbose=False).kept


def test_every_app_has_a_place_in_the_layers():
    """A new app cannot escape the layers contract by being left out of it."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    placed = {
        name.strip().strip("()") for layer in layers for name in layer.replace(":", "|").split("|")
    }
    packages = {p.parent.name for p in (root / "src" / "kyklos").glob("*/__init__.py")}
    assert packages <= placed, f"apps missing from the layers: {sorted(packages - placed)}"
