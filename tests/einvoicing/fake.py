"""A channel for the tests: it answers from a script, so a test says what the national
system does (accept, fail for now, refuse, answer "duplicate") and counts every send."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import ClassVar

from django.core.exceptions import ValidationError

from kyklos.einvoicing.channels.base import (
    Outcome,
    Payload,
    PermanentFailure,
    TemporaryFailure,
)


class FakeChannel:
    code: ClassVar[str] = "fake"
    label: ClassVar[str] = "Fake tax system"
    countries: ClassVar[frozenset[str]] = frozenset({"GR", "PL"})
    credential_fields: ClassVar[tuple[str, ...]] = ("user", "key")

    #: What the next sends answer, in order: "ok", "temporary", "permanent", "duplicate",
    #: "crash" (an unexpected exception); when empty, "ok".
    script: ClassVar[list[str]] = []
    #: Every send, per document id (the system's side: what it received).
    received: ClassVar[Counter] = Counter()
    #: Seconds each send takes (to let concurrent senders overlap).
    delay: ClassVar[float] = 0.0
    seen_settings: ClassVar[list[dict]] = []
    seen_credentials: ClassVar[list[dict]] = []
    _lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        cls.script, cls.received, cls.delay = [], Counter(), 0.0
        cls.seen_settings, cls.seen_credentials = [], []

    def applies_to(self, document, settings) -> bool:
        return document.kind != "proforma"

    def validate_settings(self, settings: dict) -> dict:
        if "branch" in settings and not str(settings["branch"]).isdigit():
            raise ValidationError("branch must be a number")
        return settings

    def build(self, document, settings) -> Payload:
        return Payload(f"<doc number='{document.number}'/>".encode())

    def send(self, document, payload, settings, credentials) -> Outcome:
        with self._lock:
            answer = self.script.pop(0) if self.script else "ok"
            self.seen_settings.append(dict(settings))
            self.seen_credentials.append(dict(credentials.values))
        time.sleep(self.delay)
        request = payload.body.decode()
        if answer == "temporary":
            raise TemporaryFailure("503 Service Unavailable", response="<busy/>", request=request)
        if answer == "permanent":
            raise PermanentFailure(
                "VAT number of the buyer is invalid",
                code="102",
                response="<error code='102'/>",
                request=request,
            )
        if answer == "crash":
            raise RuntimeError("connection reset by peer")
        with self._lock:
            self.received[document.pk] += 1
            first = self.received[document.pk] == 1
        mark = f"4000{document.pk:08d}"
        return Outcome(
            identifiers={
                "mark": mark,
                "uid": f"UID{document.pk}",
                "qr_url": f"https://tax.example/verify?mark={mark}",
            },
            request=request,
            response=f"<ok mark='{mark}'/>",
            duplicate=answer == "duplicate" or not first,
        )
