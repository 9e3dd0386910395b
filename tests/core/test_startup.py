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
from django.core.management.base import CommandError, SystemCheckError

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
    # Loaded on the first read of a registry or the first hook sent (decision 0041):
    "kyklos.core.audit_chain",  # core's own daily step
    "kyklos.core.personal_records",  # core's own personal data
    "kyklos.notifications.events",  # the notice events
    "kyklos.notifications.checks",  # the template engine, with the checks
    "kyklos.payments.providers",  # card and PayPal, on the first read of the methods
    "kyklos.provisioning.modules.panel_http",  # the panels' client, with the modules
    "kyklos.customers.vat",  # python-stdnum, through the customers' selectors
    "stdnum",
    "lxml",  # the panels' XML
    "django_tasks",  # with the first job enqueued
    "django_stubs_ext",  # django_tasks' import-time patch
]

#: The modules in which apps plug into core, and their services and selectors: none of
#: them is imported at start-up (the registries discover them on their first read).
LAZY_KINDS = ("daily", "personal_data", "notices", "services", "selectors")


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


def lazy(modules: set[str]) -> list[str]:
    """The apps' extension modules, services and selectors among ``modules`` (core's
    ``personal_data`` is the registry itself)."""
    return sorted(
        m
        for m in modules
        if m.startswith("kyklos.")
        and not m.startswith("kyklos.core.")
        and len(m.split(".")) > 2
        and m.split(".")[2] in LAZY_KINDS
    )


def test_django_setup_loads_no_payment_sdk_pdf_worker_calendar_or_api():
    modules = started("import django; django.setup()")

    assert "kyklos.lifecycle.models" in modules  # Django did start
    assert [name for name in NOT_AT_START if loaded(modules, name)] == []


def test_django_setup_imports_no_apps_extension_module_service_or_selector():
    modules = started("import django; django.setup()")

    assert "kyklos.lifecycle.models" in modules
    assert lazy(modules) == []


def test_a_command_refusing_its_arguments_loads_none_of_them_either():
    modules = started(
        "from kyklos.__main__ import main\n"
        "try:\n    main(['automate', '--date', 'nope'])\nexcept SystemExit as e:\n"
        "    assert e.code == 2, e.code"
    )

    assert [name for name in NOT_AT_START if loaded(modules, name)] == []
    # refused before Django starts: not even the settings are read
    assert "kyklos.config.settings" not in modules and "django.db" not in modules


@pytest.mark.parametrize(
    "args",
    [
        ["--date", "nope"],
        ["--date", "9999-12-31"],
        ["--date", "1899-12-31", "--yes"],
        ["--from", "2028-01-10"],
        ["--from", "2028-01-10", "--to", "2028-01-01"],
        ["--date", "2028-01-01", "--from", "2028-01-01", "--to", "2028-01-02"],
        ["--batch-size", "-5", "--json"],
        ["--date=nope", "-v", "2", "--no-color"],
    ],
)
def test_automate_refused_before_django_says_what_the_command_says(args):
    from kyklos.__main__ import refused_early

    early = refused_early(["automate", *args])
    with pytest.raises(CommandError) as through_django:
        call_command("automate", *args)

    assert early is not None
    assert (str(early), early.status) == (str(through_django.value), 2)
    assert through_django.value.returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--date", "2027-06-01"],  # good: the command runs
        ["--date", "nope", "--plan"],  # --plan prints the plan whatever the date
        ["--date", "nope", "--help"],
        ["--date", "nope", "--traceback"],
        ["--batch-size", "ten"],  # argparse's own error, from the command's parser
        ["--date", "nope", "--no-such-option"],
    ],
)
def test_what_the_early_check_does_not_refuse_is_left_to_the_command(args):
    from kyklos.__main__ import refused_early

    assert refused_early(["automate", *args]) is None
    assert refused_early(["simulate", "--days", "0"]) is None  # no early check


@pytest.mark.parametrize("colours", ["", "light", "nocolor", "error=yellow/blue,blink"])
def test_the_early_refusal_is_coloured_as_django_colours_a_command_error(monkeypatch, colours):
    from django.core.management.color import color_style

    from kyklos.__main__ import _error_style

    monkeypatch.setenv("DJANGO_COLORS", colours)
    line = "CommandError: --date: “nope” is not a date; use YYYY-MM-DD."

    assert _error_style(line, ["automate", "--force-color"]) == color_style(True).ERROR(line)
    assert _error_style(line, ["automate", "--no-color"]) == line


def test_the_console_refuses_a_bad_date_in_one_line_without_django(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "kyklos", "automate", "--date", "31/12/2027"],
        env={"KYKLOS_HOME": str(tmp_path), "PATH": "", "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr == "CommandError: --date: “31/12/2027” is not a date; use YYYY-MM-DD.\n"
    assert done.stdout == ""


#: Each registry read first in a fresh process, and what it must then know: an app's
#: registration, never an empty or partial registry.
FIRST_READS = {
    "daily steps": (
        "from django.conf import settings\n"
        "from kyklos.core.registry import registry\n"
        "names = [s.name for s in registry.daily_steps()]\n"
        "result = names == list(settings.KYKLOS_DAILY_STEPS) and 'lifecycle.suspend_expired'"
        " in names"
    ),
    "daily steps (the system check)": (
        "from kyklos.core.registry import check_daily_steps\nresult = check_daily_steps() == []"
    ),
    "personal data": (
        "from kyklos.core.personal_data import personal_data\n"
        "result = {'customers.Customer', 'support.Ticket'} <= {e.label for e in"
        " personal_data.all()}"
    ),
    "personal data's directory": (
        "from kyklos.core.personal_data import personal_data\n"
        "result = personal_data.directory is not None"
    ),
    "retention targets": (
        "from kyklos.core.personal_data import personal_data\n"
        "result = len(personal_data.retention_targets()) > 5"
    ),
    "consent check": (
        "from kyklos.core.personal_data import personal_data\n"
        "result = personal_data.processing_check is not None"
    ),
    "notice events": (
        "from kyklos.notifications import events\n"
        "result = events.is_known('ticket_opened') and 'privacy_marketing' in"
        " events.all_events()"
    ),
    "notice attachments": (
        "from kyklos.notifications import attachments\n"
        "result = attachments.is_known('invoice_pdf') and attachments.is_known('quote_pdf')"
    ),
    "events declared through core": (
        "from kyklos.core import messaging\n"
        "result = messaging.purpose_of('privacy_marketing') == 'marketing_email'"
    ),
    "payment methods": (
        "from kyklos.payments.methods import registry\n"
        "result = list(registry.methods) == ['bank_transfer', 'card', 'paypal', 'manual']"
    ),
    "daily steps, read by four threads at once": (
        "import threading\n"
        "from kyklos.core.registry import registry\n"
        "seen = []\n"
        "def read():\n    seen.append(len(registry.daily_steps()))\n"
        "threads = [threading.Thread(target=read) for _ in range(4)]\n"
        "[t.start() for t in threads]\n[t.join() for t in threads]\n"
        "result = len(seen) == 4 and len(set(seen)) == 1 and seen[0] > 20"
    ),
    "provisioning modules": (
        "from kyklos.provisioning import modules\n"
        "result = modules.codes() == ['cpanel', 'dovecot', 'plesk', 'postgresql']"
    ),
}


@pytest.mark.parametrize("reading", FIRST_READS.values(), ids=FIRST_READS.keys())
def test_each_registry_read_first_in_a_fresh_process_is_complete(reading):
    env = {**os.environ, "PYTHONPATH": str(SRC), "DJANGO_SETTINGS_MODULE": "kyklos.config.settings"}
    code = f"import django\ndjango.setup()\n{reading}\nprint(repr(bool(result)))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "True"


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
