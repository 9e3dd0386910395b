from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

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
