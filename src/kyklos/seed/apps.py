from django.apps import AppConfig


class SeedConfig(AppConfig):
    name = "kyklos.seed"
    label = "seed"
