from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "kyklos.customers"
    label = "customers"
