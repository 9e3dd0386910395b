"""/.well-known/acme-challenge/<token>: the key authorisation while an order runs, 404
otherwise; no login needed (the CA fetches it)."""

import pytest

from kyklos.certificates.models import HttpChallenge
from kyklos.core import clock

pytestmark = pytest.mark.django_db


def test_answer_is_served_only_while_the_challenge_exists(client):
    HttpChallenge.objects.create(
        token="tok-123", key_authorization="tok-123.thumb", name="a.test", created_at=clock.now()
    )
    answer = client.get("/.well-known/acme-challenge/tok-123")
    assert answer.status_code == 200
    assert answer.content == b"tok-123.thumb"
    assert answer["Content-Type"].startswith("text/plain")
    assert client.get("/.well-known/acme-challenge/other").status_code == 404
    assert client.post("/.well-known/acme-challenge/tok-123").status_code == 405
