"""An app with extension modules, for the tests of ``kyklos.core.registry.autodiscover``."""
