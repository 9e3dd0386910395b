from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kyklos.accounts.access import customer_only, public
from kyklos.accounts.views import login_view
from kyklos.certificates import views as certificate_views
from kyklos.portal import urls as portal_urls
from kyklos.privacy import urls as privacy_urls
from kyklos.storefront import urls as storefront_urls

# Privacy imports only core, so who may use its pages is declared here, where the apps are
# put together: the notice, the banner, unsubscribing and the request forms are public (the
# signed links carry their own proof); a customer's own pages check the login themselves.
_PRIVACY_ACCESS = {
    "notice": public,
    "notice_version": public,
    "notice_pdf": public,
    "cookies": public,
    "unsubscribe": public,
    "public_request": public,
    "verify_request": public,
    "request_archive": public,
    "preferences": customer_only,
    "processor": customer_only,
    "requests": public,  # sends a visitor without a login to the public form
    "my_archive": customer_only,
}
for _pattern in privacy_urls.urlpatterns:
    _PRIVACY_ACCESS[_pattern.name](_pattern.callback)

# The portal's login and logout are accounts' views (password, then the second factor for
# staff and customers who turned it on), in the portal's namespace.
_PORTAL = [
    path("login/", login_view, name="login"),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    *portal_urls.urlpatterns,
]

urlpatterns = [
    # The public shop: its home at /, the rest under /shop/ (docs/storefront.md).
    path("", include(storefront_urls)),
    # ACME HTTP-01 answers for names whose DNS is elsewhere (docs/certificates.md).
    path(
        ".well-known/acme-challenge/<str:token>",
        certificate_views.acme_challenge,
        name="acme-challenge",
    ),
    path("account/", include("kyklos.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("kyklos.api.urls")),
    path("desk/", include("kyklos.support.urls")),
    path("console/", include("kyklos.console.urls")),
    path("contact/", include("kyklos.intake.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("payments/", include("kyklos.payments.urls")),
    path("portal/", include((_PORTAL, portal_urls.app_name))),
    path("privacy/", include("kyklos.privacy.urls")),
    path("provisioning/", include("kyklos.provisioning.urls")),
    path("vault/", include("kyklos.vault.urls")),
]

# Error pages in the portal's look (kyklos/portal/templates/40x.html, 500.html); the 500 page
# names the request's reference from the log.
handler500 = "kyklos.core.request_log.server_error"
