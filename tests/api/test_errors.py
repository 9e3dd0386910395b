"""Every error is ``{"message": …, "field": …}``."""

import pytest
from django.core.exceptions import ValidationError

from kyklos.api.errors import first_django_error
from tests.api.conftest import row_counts

pytestmark = pytest.mark.django_db


def test_a_body_that_is_not_json_is_a_400(api):
    before = row_counts()

    response = api.post("customers", '{"kind": "person",')

    assert response.status_code == 400
    assert response.json() == {"message": "The request body is not valid JSON.", "field": None}
    assert row_counts() == before


def test_a_missing_body_is_a_422(api):
    response = api.post("customers", "")

    assert response.status_code == 422
    assert response.json() == {
        "message": "Send the request's data as a JSON object.",
        "field": None,
    }


def test_a_path_id_that_is_not_a_number_is_a_422(api):
    response = api.get("customers/abc")

    assert response.status_code == 422
    assert response.json() == {
        "message": "Input should be a valid integer, unable to parse string as an integer",
        "field": "customer_id",
    }


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ValidationError({"vat_id": ["Bad check digit.", "Too short."], "email": "Bad."}),
            ("Bad check digit.", "vat_id"),
        ),
        (
            ValidationError({"__all__": ["Give either a percentage or an amount off."]}),
            ("Give either a percentage or an amount off.", None),
        ),
        (
            ValidationError("This service has already ended."),
            ("This service has already ended.", None),
        ),
    ],
)
def test_a_django_validation_error_gives_its_first_message_and_field(error, expected):
    assert first_django_error(error) == expected
