"""Every message of the project is translated into Greek and Polish, and compiled."""

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings

LOCALE = Path(settings.LOCALE_PATHS[0])


def catalog(language: str, kind: str = "po"):
    path = LOCALE / language / "LC_MESSAGES" / f"django.{kind}"
    with path.open("rb") as handle:
        return (read_po if kind == "po" else read_mo)(handle)


def untranslated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(s and s.strip() for s in strings)


@pytest.mark.parametrize("language", ["el", "pl"])
def test_every_msgid_has_a_non_fuzzy_translation(language):
    messages = [m for m in catalog(language) if m.id]

    assert len(messages) > 300
    problems = [m.id for m in messages if m.fuzzy or untranslated(m)]
    assert problems == []


@pytest.mark.parametrize(("language", "forms"), [("el", 2), ("pl", 4)])
def test_plural_messages_have_every_form_of_the_language(language, forms):
    po = catalog(language)
    plurals = [m for m in po if m.id and m.pluralizable]

    assert po.num_plurals == forms
    assert plurals
    assert all(len(m.string) == forms for m in plurals)


@pytest.mark.parametrize("language", ["el", "pl"])
def test_the_compiled_catalog_matches_the_po_file(language):
    """The .mo files are committed so that a checkout works without GNU gettext."""
    po_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(language) if m.id}
    mo = catalog(language, "mo")
    mo_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in mo if m.id}

    assert mo_ids == po_ids
    assert mo.get("Renew now").string == {"el": "Ανανέωση τώρα", "pl": "Odnów teraz"}[language]
