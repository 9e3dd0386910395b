from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from kyklos.accounts.access import customer_only, public
from kyklos.privacy import urls as privacy_urls

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
    "requests": public,  # sends a visitor without a login to the public form
    "my_archive": customer_only,
}
for _pattern in privacy_urls.urlpatterns:
    _PRIVACY_ACCESS[_pattern.name](_pattern.callback)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
    path("account/", include("kyklos.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("kyklos.api.urls")),
    path("desk/", include("kyklos.support.urls")),
    path("contact/", include("kyklos.intake.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("payments/", include("kyklos.payments.urls")),
    path("portal/", include("kyklos.portal.urls")),
    path("privacy/", include("kyklos.privacy.urls")),
]
