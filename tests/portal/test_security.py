"""Every page carries the strict CSP and holds no inline script or style."""

from datetime import date
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from kyklos.billing.models import DocumentKind
from kyklos.billing.services import DocumentSpec, LineSpec, issue_documents
from tests import factories

pytestmark = pytest.mark.django_db


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, styles and handlers."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            if not names.get("src"):
                self.found.append("inline <script>")
            self.scripts.append(names.get("src") or "")
        if tag == "style":
            self.found.append("<style>")
        self.found += [
            f"{tag}[{name}]" for name in names if name == "style" or name.startswith("on")
        ]
        if names.get("href", "").startswith("javascript:"):
            self.found.append(f"{tag}[href=javascript:]")


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


@pytest.fixture
def pages(customer, hosting, today):
    service = factories.active_service(
        customer, hosting, label="maria.gr", expires_on=date(2027, 3, 20)
    )
    (invoice,) = issue_documents(
        [
            DocumentSpec(
                customer=customer,
                kind=DocumentKind.PROFORMA,
                issued_on=today,
                lines=[LineSpec(description="Hosting", unit_price=120)],
            )
        ]
    )
    return [
        reverse("portal:dashboard"),
        reverse("portal:invoices"),
        reverse("portal:invoice", args=[invoice.pk]),
        reverse("portal:profile"),
        reverse("portal:cancel", args=[service.pk]),
    ]


def test_every_page_has_the_strict_csp_and_no_inline_code(portal, pages):
    for url in pages:
        response = portal.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert "default-src 'self'" in policy
        parsed = inline_code(response.content.decode())
        assert parsed.found == [], (url, parsed.found)
        assert parsed.scripts == ["/static/portal/htmx.min.js"]


def test_the_login_page_has_the_csp_and_no_inline_code(client):
    response = client.get(reverse("portal:login"))

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert inline_code(response.content.decode()).found == []


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(portal):
    page = portal.get(reverse("portal:dashboard")).content.decode()

    assert '"includeIndicatorStyles": false' in page
    assert '"allowEval": false' in page
