"""The apps' extension modules are found on the first read of a registry, not at start.

Every registry the extension modules fill (the daily steps, the personal data, the notice
events and their attachments, the events declared through ``kyklos.core.messaging``)
calls :func:`ensure` before it answers, so a reader always sees every app's
registrations — an unknown name is still refused, it is never merely "not discovered
yet". A command that reads none of them (``kyklos automate --date nope``, ``send-mail``
with nothing queued) does not import the ~120 modules behind them (decision 0041).

Discovery runs once per process, under a lock (a threaded server's first two requests may
read a registry at once). A reader inside discovery (a ``register()`` that looks
something up) is let through: it runs in the discovering thread, which holds the lock.
If discovery fails, every later read raises the same error — as a failing start did.
"""

from __future__ import annotations

import threading

_lock = threading.RLock()
_done = False
_running = False
_failed: BaseException | None = None


def ensure() -> None:
    """Import every app's ``personal_data``, ``notices`` and ``daily`` modules and run
    their ``register()``, once; a no-op after the first call."""
    global _done, _running, _failed
    if _done:
        return
    with _lock:
        if _done or _running:
            return
        if _failed is not None:
            raise _failed
        from django.apps import apps

        apps.check_models_ready()
        _running = True
        try:
            from kyklos.core.registry import discover_all

            discover_all()
        except BaseException as error:
            _failed = error
            raise
        finally:
            _running = False
        _done = True


def done() -> bool:
    """Whether the extension modules have been discovered in this process."""
    return _done
