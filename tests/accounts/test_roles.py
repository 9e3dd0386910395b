"""The grant table (kyklos.accounts.roles) answers who may do what, for every interface."""

from __future__ import annotations

import pytest

from kyklos.accounts import access, roles
from kyklos.accounts.roles import Need, allowed_roles, may, need

B, S, T, D, A = roles.BILLING, roles.SUPPORT, roles.TECHNICAL, roles.DPO, roles.ADMIN


@pytest.mark.parametrize(
    ("app_label", "verb", "expected"),
    [
        ("customers", "view", {B, S, T, D, A}),
        ("customers", "add", {B, A}),
        ("customers", "change", {B, S, A}),
        ("lifecycle", "add", {B, A}),  # ordering issues a proforma: billing's work
        ("lifecycle", "change", {B, A}),  # cancelling, renewing: not support nor technical
        ("billing", "view", {B, S, A}),  # invoices: not the DPO
        ("payments", "add", {B, A}),
        ("support", "view", {B, S, T, D, A}),
        ("support", "change", {S, T, A}),  # tickets are worked by support and technical
        ("catalog", "add", {A}),
        ("anything", "delete", {A}),  # nobody but the admin deletes
    ],
)
def test_the_roles_granted_a_need(app_label, verb, expected):
    assert allowed_roles(need(app_label, verb)) == expected


def test_any_of_several_needs_will_do():
    assert allowed_roles(need("support", "change"), need("projects", "add")) == {B, S, T, A}
    assert may(T, need("projects", "add"), need("support", "change"))
    assert not may(T, need("projects", "add"))
    assert not may("visitor", need("support", "view"))


def test_a_need_is_an_app_label_and_a_verb():
    assert need("support", "view") == Need("support", "view")
    assert str(need("support", "view")) == "support (view)"
    with pytest.raises(ValueError, match="Verbs are"):
        need("support", "reply")
    with pytest.raises(ValueError, match="not an app label"):
        need("support.ticket", "view")


def test_actions_are_declared_as_needs_and_follow_the_table():
    rules = access.actions()
    assert rules["service.cancel"].need == ("lifecycle", "change")
    assert rules["service.cancel"].roles == {B, A}
    assert rules["invoice.view"].roles == {B, S, A}
    assert rules["audit.view"].roles == {D, A}
    with pytest.raises(ValueError, match="Verbs are"):
        access.register_action("ticket.teleport", "support", "teleport")


def test_a_page_declares_its_needs_and_its_roles_follow():
    page = access.require_permission("support", "change", ("projects", "add"))(lambda r: r)
    declared = access.declared(page)
    assert declared.audience == access.STAFF
    assert declared.needs == (Need("support", "change"), Need("projects", "add"))
    assert declared.roles == {B, S, T, A}
    assert declared.allows_role(B) and not declared.allows_role(D)
    assert access.declared(access.require_role(D)(lambda r: r)).roles == {D, A}
