"""An app that imports only core declares its notice events once."""

import pytest

from kyklos.core import discovery, messaging


def test_a_notice_event_is_declared_once(monkeypatch):
    discovery.ensure()  # the apps' declarations first, so that they are put back after
    monkeypatch.setattr(messaging, "_declared", {})
    monkeypatch.setattr(messaging, "_outbox", None)
    messaging.declare_event("survey_sent", ("customer_name",), purpose="surveys")

    with pytest.raises(ValueError, match="'survey_sent' is already declared"):
        messaging.declare_event("survey_sent", ("customer_name",))
    assert messaging.purpose_of("survey_sent") == "surveys"
