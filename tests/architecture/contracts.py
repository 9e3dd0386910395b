"""Kyklos' own import-linter contract: every app has a published face.

An app may import from another app only that app's published face: the modules named in
``public_modules`` (``services``, ``selectors``, ``models`` and the fixed extension modules
such as ``daily`` or ``personal_data``; each may be a package, and its submodules count as
part of it) and the modules listed in ``also_public``. Modules of the apps listed in
``shared_apps`` (core, the shared kernel) are open to every app, and the modules listed in
``exempt_importers`` (the composition root: settings and URLs) may import anything.

Configured in ``pyproject.toml`` (``[[tool.importlinter.contracts]]`` with
``type = "published_face"``) and run by ``lint-imports`` from ``scripts/test``.
"""

from __future__ import annotations

from importlinter import Contract, ContractCheck, fields, output


def _app_and_tail(container: str, module: str) -> tuple[str, list[str]] | None:
    prefix = container + "."
    if not module.startswith(prefix):
        return None
    parts = module[len(prefix) :].split(".")
    return parts[0], parts[1:]


def face_violations(
    imports: list[tuple[str, str]],
    *,
    container: str,
    public_modules: set[str],
    also_public: set[str],
    shared_apps: set[str],
    exempt_importers: set[str],
) -> list[tuple[str, str]]:
    """The ``(importer, imported)`` pairs of ``imports`` that break the rule."""
    broken = []
    for importer, imported in imports:
        source = _app_and_tail(container, importer)
        target = _app_and_tail(container, imported)
        if source is None or target is None:
            continue
        source_app, _ = source
        target_app, tail = target
        if source_app == target_app or target_app in shared_apps:
            continue
        if any(importer == e or importer.startswith(e + ".") for e in exempt_importers):
            continue
        if not tail:  # the app package itself: its __init__ re-exports nothing
            continue
        if tail[0] in public_modules:
            continue
        if any(imported == m or imported.startswith(m + ".") for m in also_public):
            continue
        broken.append((importer, imported))
    return sorted(set(broken))


class PublishedFaceContract(Contract):
    """Apps import each other only through each other's published face.

    Options: ``container`` (the package whose subpackages are the apps), ``public_modules``
    (module names that form every app's face), ``also_public`` (further public modules, by
    full name), ``shared_apps`` (apps open to all), ``exempt_importers`` (full names).
    """

    type_name = "published_face"

    container = fields.StringField()
    public_modules = fields.SetField(subfield=fields.StringField())
    also_public = fields.SetField(subfield=fields.StringField(), required=False)
    shared_apps = fields.SetField(subfield=fields.StringField(), required=False)
    exempt_importers = fields.SetField(subfield=fields.StringField(), required=False)

    def check(self, graph, verbose: bool) -> ContractCheck:
        container = self.container  # type: ignore[attr-defined]
        imports = []
        for importer in sorted(graph.find_descendants(container)):
            for imported in graph.find_modules_directly_imported_by(importer):
                imports.append((importer, imported))
        broken = face_violations(
            imports,
            container=container,
            public_modules=set(self.public_modules),  # type: ignore[attr-defined]
            also_public=set(self.also_public or ()),  # type: ignore[attr-defined]
            shared_apps=set(self.shared_apps or ()),  # type: ignore[attr-defined]
            exempt_importers=set(self.exempt_importers or ()),  # type: ignore[attr-defined]
        )
        details = []
        for importer, imported in broken:
            lines = [
                d["line_number"]
                for d in graph.get_import_details(importer=importer, imported=imported)
            ]
            details.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not broken, metadata={"broken": details})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            lines = ", ".join(str(n) for n in item["lines"]) or "?"
            output.print_error(
                f"{item['importer']} -> {item['imported']} (l. {lines}): "
                "not part of that app's published face",
                bold=False,
            )
        output.new_line()
        output.print(
            "Import the other app's services, selectors or models (or an extension module), "
            "or offer what is needed there."
        )
