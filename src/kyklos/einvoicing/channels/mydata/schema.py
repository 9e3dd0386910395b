"""The myDATA schema versions Kyklos knows, and validation against the official XSDs.

The version is a setting (``schema_version`` of the channel settings), so moving to a newer
AADE release is a new row here plus its XSD folder, not a code change in the builder. The
XSDs are not shipped with Kyklos (AADE publishes them); the folder is found through the
``schema_dir`` setting or ``KYKLOS_MYDATA_SCHEMAS``, else the test checkout's
``../shared/national-einvoice/mydata/<version>/``. Without them the payload is still built,
only not checked locally (AADE checks it on arrival).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from lxml import etree


@dataclass(frozen=True)
class SchemaVersion:
    folder: str
    invoices_xsd: str
    response_xsd: str
    invoice_ns: str = "http://www.aade.gr/myDATA/invoice/v1.0"
    icls_ns: str = "https://www.aade.gr/myDATA/incomeClassificaton/v1.0"
    ecls_ns: str = "https://www.aade.gr/myDATA/expensesClassificaton/v1.0"


VERSIONS: dict[str, SchemaVersion] = {
    "v1.0.10": SchemaVersion("v1.0.10", "InvoicesDoc-v1.0.10.xsd", "response-v1.0.10.xsd"),
    "v1.0.12": SchemaVersion(
        "v1.0.12-unverified", "InvoicesDoc-v1.0.12.xsd", "response-v1.0.12.xsd"
    ),
}
DEFAULT_VERSION = "v1.0.10"

_REPO = Path(__file__).resolve().parents[5]  # src/kyklos/einvoicing/channels/mydata → repo


def version(name: str | None) -> SchemaVersion:
    try:
        return VERSIONS[name or DEFAULT_VERSION]
    except KeyError:
        raise ValueError(
            f"Unknown myDATA schema version {name!r}; known: {sorted(VERSIONS)}"
        ) from None


def candidate_dirs(name: str | None, schema_dir: str | None = None) -> list[Path]:
    """Where the XSDs of a version may be, most specific first."""
    folder = version(name).folder
    found = [Path(schema_dir)] if schema_dir else []
    if os.environ.get("KYKLOS_MYDATA_SCHEMAS"):
        found.append(Path(os.environ["KYKLOS_MYDATA_SCHEMAS"]) / folder)
    found += [
        _REPO.parent / "shared" / "national-einvoice" / "mydata" / folder,
        Path("/work/shared/national-einvoice/mydata") / folder,
    ]
    return found


def locate(name: str | None, schema_dir: str | None = None) -> Path | None:
    """The folder holding the version's InvoicesDoc XSD, or None."""
    target = version(name).invoices_xsd
    return next((d for d in candidate_dirs(name, schema_dir) if (d / target).exists()), None)


@functools.cache
def _compiled(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(path, parser))


def invoices_schema(folder: Path, name: str | None) -> etree.XMLSchema:
    return _compiled(str(folder / version(name).invoices_xsd))


def response_schema(folder: Path, name: str | None) -> etree.XMLSchema:
    return _compiled(str(folder / version(name).response_xsd))


def errors(schema: etree.XMLSchema, xml: bytes) -> list[str]:
    """Schema errors of ``xml`` (empty when valid), each ``line N: message``."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    try:
        document = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
