"""Provisioning modules by code; see :mod:`.base` for the contract."""

from __future__ import annotations

from kyklos.provisioning.modules.base import ProvisioningModule

_modules: dict[str, type[ProvisioningModule]] = {}


def register(cls: type[ProvisioningModule]) -> type[ProvisioningModule]:
    """Register a module class by its ``code`` (usable as a decorator); a code registered
    twice is refused."""
    if cls.code in _modules and _modules[cls.code] is not cls:
        raise ValueError(f"provisioning module {cls.code!r} is already registered")
    _modules[cls.code] = cls
    return cls


def get(code: str) -> ProvisioningModule:
    """The module for ``code``; a ``KeyError`` naming the known codes when there is none."""
    try:
        return _modules[code]()
    except KeyError:
        known = ", ".join(sorted(_modules)) or "none"
        raise KeyError(f"no provisioning module {code!r} (known: {known})") from None


def codes() -> list[str]:
    return sorted(_modules)
