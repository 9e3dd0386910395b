"""The extension contract: apps plug into core in modules with fixed names, found by core;
a name is registered once; the daily steps run in the order declared in the settings."""

import ast
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from kyklos.core.registry import (
    EXTENSION_MODULES,
    Registry,
    autodiscover,
    check_daily_steps,
    kyklos_apps,
    registry,
)
from tests.core.extension_app import daily as extension_daily


def noop(day, run):
    return {}


def test_a_daily_step_is_registered_once_under_an_app_prefixed_name():
    steps = Registry()
    steps.register_daily_step("billing.close_month", noop)

    with pytest.raises(ImproperlyConfigured, match="'billing.close_month' is already registered"):
        steps.register_daily_step("billing.close_month", noop, chunkable=True)
    with pytest.raises(ImproperlyConfigured, match="named '<app>.<step>', not 'close_month'"):
        steps.register_daily_step("close_month", noop)
    assert not steps.steps["billing.close_month"].chunkable


def test_the_steps_run_in_the_declared_order_and_a_mismatch_fails_clearly(settings):
    steps = Registry()
    for name in ("a.first", "b.second", "c.third"):
        steps.register_daily_step(name, noop)
    settings.KYKLOS_DAILY_STEPS = ["c.third", "a.first", "b.second"]
    assert [s.name for s in steps.daily_steps()] == ["c.third", "a.first", "b.second"]

    settings.KYKLOS_DAILY_STEPS = ["c.third", "a.first", "a.first", "d.fourth"]
    assert steps.order_problems() == [
        "The daily step 'b.second' is registered but not in settings.KYKLOS_DAILY_STEPS.",
        "settings.KYKLOS_DAILY_STEPS names 'd.fourth', which no app registers.",
        "settings.KYKLOS_DAILY_STEPS names 'a.first' more than once.",
    ]
    with pytest.raises(ImproperlyConfigured, match="'b.second' is registered but not") as error:
        steps.daily_steps()
    assert "\n" not in str(error.value)


def test_the_system_check_reports_a_step_missing_from_the_declared_order(settings):
    assert check_daily_steps() == []

    order = settings.KYKLOS_DAILY_STEPS
    settings.KYKLOS_DAILY_STEPS = [n for n in order if n != "privacy.breaches"]
    (error,) = check_daily_steps()
    assert error.id == "core.E001"
    assert "'privacy.breaches' is registered but not in" in error.msg


#: The order numbers the steps were registered with before the order was declared in one
#: place; ties ran by name.
FORMER_ORDER = {
    "lifecycle.apply_cancellations": 10,
    "lifecycle.issue_renewal_proformas": 20,
    "payments.charge_due": 25,  # card on file (R6.10, decision 0026): on the due date
    "lifecycle.send_payment_reminders": 30,
    "lifecycle.send_expiry_warnings": 40,
    "lifecycle.suspend_expired": 50,
    "lifecycle.terminate_expired": 60,
    "domains.sync": 62,  # added with the domains (issue 14, decision 0028)
    "domains.advance": 64,
    "projects.expire_quotes": 70,
    "projects.bill_package_overage": 75,  # added with issue 18 (R7.10)
    "support.product_withdrawal": 76,  # added with issue 15 (R5.8, decision 0034)
    "support.repricing": 77,  # added with issue 15 (R5.9)
    "receivables.run_collections": 80,
    "receivables.month_end_interest": 90,
    "einvoicing.transmit": 95,  # added with national e-invoicing (decision 0018)
    "dns.publish": 96,  # added with DNS hosting (decision 0029)
    "certificates.renew": 97,  # added with certificates by ACME (R5.1, decision 0030)
    "provisioning.backups": 98,  # added with provisioning (issue 15, R5.2)
    "support.sla_check": 200,
    "support.uptime_credit": 210,  # added with issue 15 (R5.3)
    "intake.purge_quarantine": 900,
    "vault.offer_handover": 900,
    "privacy.requests": 910,
    "vault.destroy_after_handover": 910,
    "devices.purge_activity": 920,
    "privacy.breaches": 920,
    "provisioning.mail_logs": 925,  # added with provisioning (issue 15, R5.7)
    "provisioning.usage": 926,  # over-usage told, never suspended (R2.5)
    "privacy.retention": 990,
    "core.seal_audit_trail": 10_000,
}


def test_every_app_step_is_prefixed_with_its_app_and_runs_in_the_order_it_always_had():
    steps = registry.daily_steps()

    assert [s.name for s in steps] == sorted(FORMER_ORDER, key=lambda n: (FORMER_ORDER[n], n))
    assert [s.name for s in steps if s.chunkable] == [s.name for s in steps[:7]]
    assert all(s.summary for s in steps)


def extension_app(label="extension_app"):
    module = import_module("tests.core.extension_app")
    return SimpleNamespace(name=module.__name__, label=label, module=module)


def test_discovery_calls_an_apps_register_functions_and_skips_modules_without_one(monkeypatch):
    monkeypatch.setattr(registry, "steps", {})

    autodiscover([extension_app()])

    (step,) = registry.steps.values()
    assert (step.name, step.summary) == ("extension_app.tidy", "Tidy up.")


def test_discovery_refuses_a_step_named_after_another_app(monkeypatch):
    monkeypatch.setattr(registry, "steps", {})
    monkeypatch.setattr(extension_daily, "NAME", "billing.tidy")

    with pytest.raises(ImproperlyConfigured, match="not named 'extension_app.<step>': billing"):
        autodiscover([extension_app()])


def test_no_app_config_registers_its_extension_modules_by_hand():
    for config in kyklos_apps():
        source = Path(config.path, "apps.py").read_text()
        imported = {
            alias.name
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.module == config.name
            for alias in node.names
        }
        assert not imported & set(EXTENSION_MODULES), config.name
