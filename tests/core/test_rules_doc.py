"""docs/rules.md stays true to the code.

Every rule id cited under ``src/`` has its section in docs/rules.md; every id cited in the
tests or the other documents is at least listed there; every dotted ``kyklos.…`` name the
page gives can be imported; every ``tests/…py::test_name`` it names exists.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "rules.md"

#: A rule id: R6, R6.5 (a letter may follow: R6.5a). Case matters: "r74" in a name is not one.
RULE_ID = re.compile(r"\bR\d+(?:\.\d+)?[a-z]?\b")
#: "## R6 Invoices…" (a section) or "### R6.5 Identity checks" (a rule).
HEADING = re.compile(r"^(#{2,3}) (R\d+(?:\.\d+)?[a-z]?)\b", re.MULTILINE)
#: A row of the "not yet implemented" table: "| R4.1 | … |".
TABLE_ROW = re.compile(r"^\| *(R\d+(?:\.\d+)?[a-z]?) *\|", re.MULTILINE)
DOTTED = re.compile(r"`(kyklos(?:\.\w+)+)`")
TEST_REF = re.compile(r"\b(tests/[\w/]+\.py)::(\w+)")
#: Files under src/ whose text may cite a rule (compiled catalogues and binaries are not read).
CITING_SUFFIXES = {".py", ".html", ".txt", ".md"}


def _text() -> str:
    return RULES.read_text(encoding="utf-8")


def _headings(text: str) -> dict[str, int]:
    """Rule and section ids with a heading → how many headings each has."""
    counts: dict[str, int] = {}
    for match in HEADING.finditer(text):
        counts[match.group(2)] = counts.get(match.group(2), 0) + 1
    return counts


def _not_yet(text: str) -> set[str]:
    return set(TABLE_ROW.findall(text))


def _rule_sections(text: str) -> dict[str, str]:
    """Rule id (e.g. R6.5) → the text of its ### section, up to the next heading."""
    sections = {}
    matches = list(re.finditer(r"^#{2,3} .*$", text, re.MULTILINE))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        found = re.match(r"### (R\d+\.\d+[a-z]?)\b", match.group(0))
        if found:
            end = following.start() if following else len(text)
            sections[found.group(1)] = text[match.end() : end]
    return sections


def _cited(folder: str, suffixes: set[str], skip: Path | None = None) -> dict[str, set[str]]:
    """Rule id → the files under ``folder`` that cite it."""
    cited: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*")):
        if path.suffix not in suffixes or not path.is_file() or path == skip:
            continue
        for rule in RULE_ID.findall(path.read_text(encoding="utf-8")):
            cited.setdefault(rule, set()).add(str(path.relative_to(ROOT)))
    return cited


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted``, then getattr the rest."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            found = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            # Only a missing prefix moves on; a module failing to import is reported.
            if error.name and (module_name + ".").startswith(error.name + "."):
                continue
            raise
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(dotted)


def test_the_page_parses_into_sections_and_rules():
    text = _text()
    headings = _headings(text)
    assert [rule for rule, count in headings.items() if count > 1] == []
    sections = _rule_sections(text)
    assert len(sections) >= 40
    assert len(set(DOTTED.findall(text))) >= 100
    assert len(set(TEST_REF.findall(text))) >= 100
    assert "## Not yet implemented" in text, "the 'Not yet implemented' section was not found"
    assert sorted(_not_yet(text) & set(headings)) == [], "a rule cannot be both done and not yet"
    for rule in sections:
        assert rule.split(".")[0] in headings, f"{rule} has no section heading above it"


def test_every_rule_id_cited_in_the_code_has_its_section():
    known = set(_headings(_text()))
    missing = {
        rule: sorted(files)
        for rule, files in _cited("src", CITING_SUFFIXES).items()
        if rule not in known
    }
    assert missing == {}, f"rule ids cited under src/ without a section in docs/rules.md: {missing}"


def test_every_rule_id_cited_in_tests_and_documents_is_listed():
    text = _text()
    known = set(_headings(text)) | _not_yet(text)
    cited = _cited("tests", {".py"}, skip=Path(__file__).resolve())
    for rule, files in _cited("docs", {".md"}, skip=RULES).items():
        cited.setdefault(rule, set()).update(files)
    missing = {rule: sorted(files) for rule, files in cited.items() if rule not in known}
    assert missing == {}, f"rule ids cited without an entry in docs/rules.md: {missing}"


def test_every_rule_says_where_it_lives_which_tests_prove_it_and_its_status():
    incomplete = {}
    for rule, body in _rule_sections(_text()).items():
        lacks = [
            label
            for label, present in (
                ("Where", "- Where:" in body and DOTTED.search(body) is not None),
                ("Tests", "- Tests:" in body and TEST_REF.search(body) is not None),
                ("Status", "- Status:" in body),
            )
            if not present
        ]
        if lacks:
            incomplete[rule] = lacks
    assert incomplete == {}


def test_every_dotted_name_resolves():
    broken = {}
    for dotted in sorted(set(DOTTED.findall(_text()))):
        try:
            _resolve(dotted)
        except (ImportError, AttributeError) as error:
            broken[dotted] = f"{type(error).__name__}: {error}"
    assert broken == {}


def test_every_named_test_exists():
    missing = []
    for path, name in sorted(set(TEST_REF.findall(_text()))):
        file = ROOT / path
        defines = re.compile(rf"^(?:async )?def {re.escape(name)}\(", re.MULTILINE)
        if not file.is_file() or not defines.search(file.read_text(encoding="utf-8")):
            missing.append(f"{path}::{name}")
    assert missing == []
