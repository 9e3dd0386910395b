"""``kyklos token create|list|revoke`` as staff run it."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from kyklos.api.models import ApiToken
from kyklos.core.models import AuditEvent
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_token_as_its_last_line_and_it_works(client, staff):
    output = run("create", "nikos", "--name", "billing sync")

    *intro, token = output.strip().splitlines()
    row = ApiToken.objects.get()
    assert intro == [
        f"API token “billing sync” for nikos (id {row.pk}); it is shown only now, keep it secret:"
    ]
    assert (row.user, row.name, row.digest) == (staff, "billing sync", ApiToken.digest_of(token))
    assert AuditEvent.objects.get(action="api_token.created").data == {
        "user": "nikos",
        "name": "billing sync",
        "prefix": token[:8],
    }
    assert ApiClient(client, token).get("customers").status_code == 200


def test_create_for_an_unknown_user_exits_with_status_2(db):
    with pytest.raises(CommandError, match="^There is no user “nobody”.$") as error:
        run("create", "nobody")

    assert error.value.returncode == 2
    assert not ApiToken.objects.exists()


def test_create_for_a_user_who_is_not_staff_exits_with_status_2(db):
    User.objects.create_user("eleni")

    with pytest.raises(CommandError) as error:
        run("create", "eleni")

    assert str(error.value) == "API tokens are only for active staff users; eleni is not one."
    assert error.value.returncode == 2
    assert not ApiToken.objects.exists()


def test_list_shows_tokens_without_the_secret_and_revoke_ends_one(client, staff):
    token = run("create", "nikos").strip().splitlines()[-1]
    row = ApiToken.objects.get()

    listed = run("list")
    revoked = run("revoke", str(row.pk))

    assert listed.startswith(f"{row.pk:<5} {token[:8]}…  nikos ")
    assert "active" in listed and token not in listed
    assert revoked == f"Revoked API token {row.pk} ({token[:8]}…) of nikos.\n"
    assert "revoked 2027-03-01T07:00:00+00:00" in run("list", "nikos")
    assert ApiClient(client, token).get("customers").status_code == 401


def test_revoking_an_unknown_or_revoked_token_exits_with_status_2(staff):
    run("create", "nikos")
    row = ApiToken.objects.get()
    run("revoke", str(row.pk))

    for token_id, message in [
        (row.pk + 1, f"There is no API token with id {row.pk + 1}."),
        (row.pk, "This token was already revoked."),
    ]:
        with pytest.raises(CommandError) as error:
            run("revoke", str(token_id))
        assert (str(error.value), error.value.returncode) == (message, 2)
