from django.urls import path

from kyklos.portal import credentials, domains, payment_views, projects, tickets, views

# Logging in and out (``portal:login``, ``portal:logout``) are accounts' views, put into this
# namespace where the apps are composed: kyklos.config.urls.
app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("services/<int:pk>/renew/", views.renew, name="renew"),
    path("services/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("quotes/", projects.quote_list, name="quotes"),
    path("quotes/<int:pk>/", projects.quote_detail, name="quote"),
    path("quotes/<int:pk>/decline/", projects.quote_decline, name="quote_decline"),
    path("quotes/<int:pk>/pdf/", projects.quote_pdf, name="quote_pdf"),
    path("projects/<int:pk>/", projects.project_detail, name="project"),
    path("variations/<int:pk>/answer/", projects.variation_answer, name="variation_answer"),
    path("proofs/<int:pk>/", projects.deliverable_detail, name="deliverable"),
    path("proofs/<int:pk>/file/", projects.deliverable_file, name="deliverable_file"),
    path("support-hours/", projects.support_hours, name="support_hours"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/reply/", tickets.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/close/", tickets.ticket_close, name="ticket_close"),
    path("tickets/files/<int:pk>/", tickets.ticket_attachment, name="ticket_attachment"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/pay/", payment_views.pay, name="pay"),
    path("invoices/<int:pk>/proof/", payment_views.upload_proof, name="upload_proof"),
    path("invoices/<int:pk>/refund/", payment_views.refund, name="refund"),
    path("checkouts/<int:pk>/return/", payment_views.checkout_return, name="checkout_return"),
    path("profile/", views.profile, name="profile"),
    path("profile/particulars/", views.update_particulars, name="particulars"),
    path("profile/change-requests/", views.file_change_request, name="change_request"),
    path(
        "profile/change-requests/<int:pk>/document/",
        views.change_document,
        name="change_document",
    ),
    path("credentials/", credentials.credentials, name="credentials"),
    path("domains/", domains.domain_list, name="domains"),
    path("domains/search/", domains.domain_search, name="domain_search"),
    path("domains/order/", domains.domain_order, name="domain_order"),
    path("domains/<int:pk>/", domains.domain_detail, name="domain"),
    path("domains/<int:pk>/nameservers/", domains.domain_nameservers, name="domain_nameservers"),
    path("domains/<int:pk>/lock/", domains.domain_lock, name="domain_lock"),
    path("domains/<int:pk>/auth-code/", domains.domain_auth_code, name="domain_auth_code"),
    path("domains/<int:pk>/transfer/", domains.domain_transfer, name="domain_transfer"),
    path("domains/<int:pk>/refused/", domains.domain_refused, name="domain_refused"),
    path("credentials/handover/", credentials.handover, name="credentials_handover"),
]
