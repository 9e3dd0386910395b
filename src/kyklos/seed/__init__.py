"""Data for development and benchmarks, never for production: ``kyklos demo`` (a Greek
provider made by the real ordering, payment and daily-run code) and ``kyklos bench seed``
(many customers and services loaded in bulk). The top layer: it imports the other apps
through their published face and nothing imports it."""
