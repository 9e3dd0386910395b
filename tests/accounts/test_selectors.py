"""docs/security.md's role table is the grant table the code reads (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

from kyklos.accounts import roles
from kyklos.accounts.selectors import role_table, role_work

SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "security.md"
BLOCK = re.compile(r"<!-- roles:begin -->\n(.*?)<!-- roles:end -->", re.S)


def test_the_role_table_in_the_documentation_is_the_grant_table():
    found = BLOCK.findall(SECURITY_MD.read_text(encoding="utf-8"))
    assert len(found) == 1, "docs/security.md needs one <!-- roles:begin/end --> block"
    assert found[0] == role_table(), (
        "docs/security.md's role table differs from kyklos/accounts/roles.py; paste this "
        "between the markers:\n" + role_table()
    )


def test_a_role_row_groups_the_apps_by_their_verbs():
    assert role_work(roles.ADMIN) == "everything (a superuser counts as admin)"
    assert role_work(roles.TECHNICAL) == (
        "devices, provisioning, support (view, add, change); vault (view, add); "
        "catalog, customers, lifecycle (view); permission `vault.reveal_credential`"
    )


def test_the_table_follows_a_new_grant(monkeypatch):
    monkeypatch.setattr(roles, "_grants", roles.defaultdict(lambda: roles.defaultdict(set)))
    roles.grant(roles.DPO, "privacy", "view", "change")
    assert "| dpo | Data protection officer | privacy (view, change) |" in role_table()
    assert "| billing | Billing staff | nothing |" in role_table()
