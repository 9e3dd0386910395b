"""Error pages in the portal's look, in the visitor's language, without debug detail."""

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from kyklos.config import urls as site_urls


def boom(request):
    raise RuntimeError("secret detail: the database password is hunter2")


def form(request):
    return HttpResponse("ok")


urlpatterns = [path("boom/", boom), path("form/", form), path("", include(site_urls))]
handler500 = site_urls.handler500

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "We cannot find that page"),
        ("el", "Δεν βρίσκουμε αυτή τη σελίδα"),
        ("pl", "Nie możemy znaleźć tej strony"),
    ],
)
def test_an_unknown_page_answers_404_in_the_visitors_language(site, language, heading):
    response = site.get("/portal/no-such-page/", headers={"accept-language": language})
    assert response.status_code == 404
    page = response.content.decode()
    assert heading in page and 'href="/contact/"' in page
    assert "portal.css" in page  # the portal's look, not Django's bare page


def test_a_server_error_shows_a_reference_and_no_detail(site):
    response = site.get("/boom/", headers={"accept-language": "pl"})
    assert response.status_code == 500
    page = response.content.decode()
    assert "Coś poszło nie tak" in page
    assert response["X-Request-ID"] in page  # the reference in the log
    assert "hunter2" not in page and "Traceback" not in page


def test_an_expired_form_explains_itself(site):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/portal/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "The form has expired" in page
    assert "CSRF" not in page  # no debug detail


def test_a_page_the_login_may_not_open_answers_403_in_the_sites_look(site):
    from tests.accounts.conftest import make_user

    customer = make_user("maria@example.com")
    site.force_login(customer)
    response = site.get("/desk/", headers={"accept-language": "el"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Δεν μπορείτε να ανοίξετε αυτή τη σελίδα" in page
