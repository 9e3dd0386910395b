"""A ``kyklos`` command starts without loading what it does not use (docs/performance.md,
"Command start"): cron starts ``automate``, ``send-mail`` and ``sla-check`` many times a day,
and the start was most of their cost. Nothing here is timed; what is guarded is what
made the start slow."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import SystemCheckError

SRC = Path(__file__).resolve().parents[2] / "src"

#: Imported only where they are used: by a page, a payment, a webhook, a PDF, a worker.
NOT_AT_START = [
    "weasyprint",  # PDFs (kyklos.core.pdf)
    "stripe",  # card payments (payments.providers.stripe_card)
    "paypalserversdk",  # PayPal (payments.providers.paypal)
    "requests",  # PayPal's certificate download
    "cryptography",  # PayPal's webhook signatures, the vault's AES-GCM
    "celery",  # the daily run's workers (automation.celery)
    "holidays",  # support's business days (support.sla)
    "dateutil",  # holidays' dependency
    "ninja",  # the API, loaded with the URLs, not an installed app
    "pydantic",  # ninja's dependency
    "jinja2",  # pulled in by ninja through django.test
    "kyklos.api.v1",  # the API's routes
    "kyklos.config.urls",  # every view, loaded by the first request
    "kyklos.billing.admin",  # the admin's modules, loaded with the admin's URLs
    "kyklos.customers.admin",
]


def started(code: str) -> set[str]:
    """The modules loaded by ``code`` in a fresh interpreter with Kyklos' settings."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "DJANGO_SETTINGS_MODULE": "kyklos.config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(f"{name}.") for m in modules)


def test_django_setup_loads_no_payment_sdk_pdf_worker_calendar_or_api():
    modules = started("import django; django.setup()")

    assert "kyklos.lifecycle.models" in modules  # Django did start
    assert [name for name in NOT_AT_START if loaded(modules, name)] == []


def test_a_command_refusing_its_arguments_loads_none_of_them_either():
    modules = started(
        "from kyklos.__main__ import main\n"
        "try:\n    main(['automate', '--date', 'nope'])\nexcept SystemExit as e:\n"
        "    assert e.code == 2, e.code"
    )

    assert [name for name in NOT_AT_START if loaded(modules, name)] == []


def test_kyklos_commands_run_no_system_checks():
    kyklos = {
        name: load_command_class(app, name)
        for name, app in get_commands().items()
        if app.startswith("kyklos.")
    }

    assert {"automate", "send_mail", "sla_check", "audit", "mail_fetch"} <= set(kyklos)
    assert {name for name, c in kyklos.items() if c.requires_system_checks != []} == set()


def test_kyklos_check_still_finds_what_the_commands_no_longer_check(settings):
    settings.KYKLOS_DAILY_STEPS = [
        s for s in settings.KYKLOS_DAILY_STEPS if s != "intake.purge_quarantine"
    ]

    with pytest.raises(SystemCheckError, match="core.E001"):
        call_command("check")


def test_the_admin_still_lists_every_model_once_its_registry_is_read():
    from django.contrib import admin

    from kyklos.billing.models import Invoice
    from kyklos.customers.models import Customer

    assert admin.site.is_registered(Customer) and admin.site.is_registered(Invoice)
