"""System check notifications.E001/E002: every notice exists, and compiles, in Greek,
English and Polish (R12.1)."""

import shutil
from pathlib import Path

import pytest
from django.core.checks import run_checks

from kyklos.notifications.checks import check_notice_templates

TEMPLATES = Path(__file__).resolve().parents[2] / "src/kyklos/notifications/templates"
APPS = TEMPLATES.parents[1]


@pytest.fixture
def template_copy(settings, tmp_path):
    """The shipped notice templates (of every app that registers events), copied to a
    folder the test may spoil."""
    shutil.copytree(TEMPLATES, tmp_path, dirs_exist_ok=True)
    for notices in APPS.glob("*/templates/notifications"):
        shutil.copytree(notices, tmp_path / "notifications", dirs_exist_ok=True)
    settings.TEMPLATES = [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [tmp_path]}
    ]
    return tmp_path / "notifications"


def test_shipped_templates_pass_the_check():
    assert check_notice_templates() == []
    assert not [e for e in run_checks(tags=["templates"]) if e.id.startswith("notifications.")]


def test_a_missing_template_is_an_error(template_copy):
    (template_copy / "service_cancelled/pl/body.txt").unlink()

    errors = run_checks(tags=["templates"])

    assert [(e.id, e.obj, e.msg) for e in errors] == [
        (
            "notifications.E001",
            "service_cancelled",
            "The notice template notifications/service_cancelled/pl/body.txt is missing.",
        )
    ]


def test_an_event_without_any_template_is_reported_per_language_and_part(template_copy):
    shutil.rmtree(template_copy / "invoice_issued")

    errors = check_notice_templates()

    assert sorted(e.msg.split()[3] for e in errors) == [
        f"notifications/invoice_issued/{language}/{part}.txt"
        for language in ("el", "en", "pl")
        for part in ("body", "subject")
    ]
    assert {e.id for e in errors} == {"notifications.E001"}


def test_a_template_that_does_not_compile_is_an_error(template_copy):
    (template_copy / "expiry_warning/el/subject.txt").write_text("{% if %}Λήξη", "utf-8")

    errors = check_notice_templates()

    assert [(e.id, e.obj) for e in errors] == [("notifications.E002", "expiry_warning")]
    assert "notifications/expiry_warning/el/subject.txt does not compile" in errors[0].msg
