"""Registrar plug-ins behind one interface (``base.Registrar``); ``PLUGINS`` names them."""

from __future__ import annotations

from kyklos.domains.registrars.base import PermanentFailure, Registrar
from kyklos.domains.registrars.epp import EppClient

#: plug-in code → class taking (settings, credentials).
PLUGINS = {"epp": EppClient}


def plugin(code: str, settings: dict, credentials: dict) -> Registrar:
    try:
        cls = PLUGINS[code]
    except KeyError:
        raise PermanentFailure(f"No registrar plug-in is called {code!r}.") from None
    return cls(settings, credentials)
