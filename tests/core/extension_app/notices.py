"""Builds notices only: no ``register()``, so discovery skips it."""
