"""Bearer tokens of active staff users; everything else is a 401 that says why."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from kyklos.api import services
from kyklos.api.models import ApiToken
from kyklos.core import clock
from tests.api.conftest import TODAY, ApiClient

pytestmark = pytest.mark.django_db

NO_TOKEN = {
    "message": "Send an API token in the header “Authorization: Bearer <token>”.",
    "field": None,
}


def test_a_staff_token_is_accepted(api):
    response = api.get("customers")

    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0}


def test_without_a_token_the_answer_is_401_with_a_json_message(client):
    response = ApiClient(client, None).get("customers")

    assert response.status_code == 401
    assert response.json() == NO_TOKEN
    assert response["WWW-Authenticate"] == "Bearer"


def test_another_authorization_scheme_is_refused(client, token):
    response = client.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 401
    assert response.json() == NO_TOKEN


def test_an_unknown_token_is_refused(client, token):
    response = ApiClient(client, token + "x").get("customers")

    assert response.status_code == 401
    assert response.json() == {"message": "This API token is not known.", "field": None}


def test_a_revoked_token_is_refused(client, token):
    services.revoke_token(ApiToken.objects.get(), actor="tests")

    response = ApiClient(client, token).get("customers")

    assert response.status_code == 401
    assert response.json() == {"message": "This API token was revoked.", "field": None}


@pytest.mark.parametrize("change", [{"is_staff": False}, {"is_active": False}])
def test_the_token_of_a_user_who_is_no_longer_active_staff_is_refused(client, staff, token, change):
    User.objects.filter(pk=staff.pk).update(**change)

    response = ApiClient(client, token).get("customers")

    assert response.status_code == 401
    assert response.json() == {
        "message": "This API token's user is no longer active staff.",
        "field": None,
    }


def test_a_token_is_only_issued_to_active_staff(db):
    customer_login = User.objects.create_user("eleni")

    with pytest.raises(ValidationError, match="only for active staff users; eleni is not one"):
        services.create_token(customer_login)

    assert not ApiToken.objects.exists()


def test_only_the_digest_of_a_token_is_stored(staff):
    row, token = services.create_token(staff, name="billing sync")

    assert token.startswith("kyk_") and len(token) == 4 + 43  # 32 random bytes, base64
    assert row.digest == ApiToken.digest_of(token) != token
    assert row.prefix == token[:8]
    assert not ApiToken.objects.filter(digest__contains=token[8:20]).exists()
    assert services.create_token(staff)[1] != token


def test_last_use_is_recorded_at_most_once_a_minute(client, token):
    api = ApiClient(client, token)
    start = clock.start_of_day(TODAY) + timedelta(hours=10)

    def last_used_after_a_request_at(moment: datetime):
        with clock.frozen(moment):
            assert api.get("customers").status_code == 200
        return ApiToken.objects.get().last_used_at

    assert ApiToken.objects.get().last_used_at is None
    assert last_used_after_a_request_at(start) == start
    assert last_used_after_a_request_at(start + timedelta(seconds=59)) == start
    assert last_used_after_a_request_at(start + timedelta(seconds=60)) == start + timedelta(
        seconds=60
    )
