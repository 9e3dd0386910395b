"""The channels Kyklos knows, by code, loaded lazily from dotted paths.

``settings.KYKLOS_EINVOICING_CHANNELS`` maps a code to the dotted path of its class
(:class:`kyklos.einvoicing.channels.base.Channel`); tests and extensions add more with
:meth:`ChannelRegistry.register`. A class is imported the first time it is used, so a
channel whose module is missing (not installed, not written yet) costs nothing until a
configuration enables it; then every use of it fails with one clear error
(:class:`ChannelUnavailable`) that the transmission keeps for staff.

Which channels apply is data, not code: :class:`kyklos.einvoicing.models.ChannelConfig`
rows (per seller country, edited in the admin).

Besides the contract's members a channel class may have:

- ``credential_fields``: the names of the credentials it needs (shown in the admin; an
  enabled configuration whose stored credentials lack one is refused), and
  ``optional_credential_fields`` the ones it reads when present (any other name is refused);
- ``validate_settings(settings: dict) -> dict``: the settings checked and cleaned,
  raising ``django.core.exceptions.ValidationError`` when they are wrong.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


class ChannelUnavailable(ImproperlyConfigured):
    """A channel code that no class answers to, or whose class cannot be imported."""


class ChannelRegistry:
    def __init__(self, paths: dict[str, str | type] | None = None) -> None:
        self._entries: dict[str, str | type] = {}
        self._instances: dict[str, object] = {}
        for code, target in (paths or {}).items():
            self.register(code, target)

    def register(self, code: str, target: str | type) -> None:
        """Add channel ``code``: a dotted path (imported on first use) or the class."""
        if not code or not code.isidentifier() or len(code) > 20:
            raise ImproperlyConfigured(f"A channel code is a short identifier, not {code!r}.")
        if code in self._entries:
            raise ImproperlyConfigured(f"The e-invoicing channel {code!r} is already registered.")
        self._entries[code] = target

    def unregister(self, code: str) -> None:
        self._entries.pop(code, None)
        self._instances.pop(code, None)

    def codes(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, code: str) -> bool:
        return code in self._entries

    def get(self, code: str):
        """The channel ``code`` (one instance per process)."""
        if code in self._instances:
            return self._instances[code]
        target = self._entries.get(code)
        if target is None:
            raise ChannelUnavailable(
                f"No e-invoicing channel is registered as {code!r} "
                f"(known: {', '.join(self.codes()) or 'none'})."
            )
        if isinstance(target, str):
            try:
                target = import_string(target)
            except ImportError as error:
                raise ChannelUnavailable(
                    f"The e-invoicing channel {code!r} cannot be loaded from {target}: {error}"
                ) from None
        if getattr(target, "code", None) != code:
            raise ChannelUnavailable(
                f"{target!r} says its code is {getattr(target, 'code', None)!r}, "
                f"but it is registered as {code!r}."
            )
        channel = self._instances[code] = target()
        return channel

    def label(self, code: str) -> str:
        """The channel's human name, or its code when it cannot be loaded."""
        try:
            return str(self.get(code).label)
        except ChannelUnavailable:
            return code


channels = ChannelRegistry(getattr(settings, "KYKLOS_EINVOICING_CHANNELS", {}))
