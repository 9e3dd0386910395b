from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "kyklos.intake"
    label = "intake"
    verbose_name = "E-mail and contact-form intake"
