"""Provisioning modules by code; see :mod:`.base` for the contract.

The modules that ship with Kyklos register themselves when imported; they are imported on
the first look-up (:func:`get`, :func:`codes`), not at start-up: the panels' HTTP client
loads lxml, which a command that provisions nothing does not need (decision 0041)."""

from __future__ import annotations

from importlib import import_module

from kyklos.provisioning.modules.base import ProvisioningModule

#: The modules that ship with Kyklos (registered by importing them).
BUILT_IN_MODULES = ("dovecot", "postgresql", "plesk", "cpanel")

_modules: dict[str, type[ProvisioningModule]] = {}
_built_in_loaded = False


def register(cls: type[ProvisioningModule]) -> type[ProvisioningModule]:
    """Register a module class by its ``code`` (usable as a decorator); a code registered
    twice is refused."""
    if cls.code in _modules and _modules[cls.code] is not cls:
        raise ValueError(f"provisioning module {cls.code!r} is already registered")
    _modules[cls.code] = cls
    return cls


def _load_built_in() -> None:
    global _built_in_loaded
    if not _built_in_loaded:
        for name in BUILT_IN_MODULES:
            import_module(f"{__name__}.{name}")
        _built_in_loaded = True


def get(code: str) -> ProvisioningModule:
    """The module for ``code``; a ``KeyError`` naming the known codes when there is none."""
    _load_built_in()
    try:
        return _modules[code]()
    except KeyError:
        known = ", ".join(sorted(_modules)) or "none"
        raise KeyError(f"no provisioning module {code!r} (known: {known})") from None


def codes() -> list[str]:
    _load_built_in()
    return sorted(_modules)
