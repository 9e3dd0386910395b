"""Attachments of notices, rendered when the notice is sent.

An outbox row stores only references (``{"kind": "invoice_pdf", "id": 12}``), so the
row stays small and the document is rendered from the data of record at send time. The
app that owns the document registers a renderer for its kind, once, in the ``register()``
of its ``notices`` module::

    from kyklos.notifications import services
    services.register_attachment("invoice_pdf", render_invoice_attachment)

A renderer takes the id and returns ``(filename, content, mimetype)``.
"""

from __future__ import annotations

from collections.abc import Callable

from kyklos.core import discovery

Renderer = Callable[[int], tuple[str, bytes, str]]

_renderers: dict[str, Renderer] = {}


def register(kind: str, renderer: Renderer) -> None:
    if kind in _renderers:
        raise ValueError(f"A renderer of {kind!r} attachments is already registered.")
    _renderers[kind] = renderer


def is_known(kind: str) -> bool:
    discovery.ensure()
    return kind in _renderers


def render(reference: dict) -> tuple[str, bytes, str]:
    kind = reference.get("kind", "")
    discovery.ensure()
    if kind not in _renderers:
        raise LookupError(f"No renderer is registered for attachments of kind {kind!r}.")
    return _renderers[kind](int(reference["id"]))
