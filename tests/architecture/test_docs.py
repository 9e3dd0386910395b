"""docs/architecture.md shows the layers that lint-imports enforces."""

import re

from tests.architecture.diagram import ROOT, render


def test_the_architecture_page_draws_the_layers_of_the_contracts():
    page = (ROOT / "docs" / "architecture.md").read_text()
    found = re.search(r"<!-- layers:begin -->\n```\n(.*?)\n```\n<!-- layers:end -->", page, re.S)
    assert found, "docs/architecture.md has no layers:begin/layers:end block"
    assert found.group(1) == render(), (
        "docs/architecture.md's layers differ from pyproject.toml's contracts: "
        "paste the output of `python -m tests.architecture.diagram` between the markers"
    )
