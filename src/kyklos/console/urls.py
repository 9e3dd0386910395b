"""The staff console at ``/console/``. Who may use each page is what the page does, in
the grant table's terms (kyklos.accounts.roles): reading customers is customers "view"
(every role), billing by hand is billing "add", credit and refunds are payments "add",
suspending and lifting a suspension or terminating act on the servers (lifecycle or
provisioning "change"), a restore issues a proforma (lifecycle "change"), opening a
customer's portal is customers "change", the dashboard is billing "view"."""

from django.urls import path

from kyklos.accounts.access import require_permission
from kyklos.console import views

READ = require_permission("customers", "view")
BILL = require_permission("billing", "add")
PAY = require_permission("payments", "add")
ACT = require_permission("lifecycle", "change", ("provisioning", "change"))
RESTORE = require_permission("lifecycle", "change")
AS_CUSTOMER = require_permission("customers", "change")
FIGURES = require_permission("billing", "view")

app_name = "console"
urlpatterns = [
    path("", READ(views.home), name="home"),
    path("customers/<int:pk>/", READ(views.customer), name="customer"),
    path("customers/<int:pk>/invoice/", BILL(views.invoice_new), name="invoice_new"),
    path("customers/<int:pk>/credit/", PAY(views.account_credit), name="account_credit"),
    path("customers/<int:pk>/view-as/", AS_CUSTOMER(views.impersonate), name="impersonate"),
    path("view-as/end/", AS_CUSTOMER(views.impersonation_end), name="impersonation_end"),
    path("documents/<int:pk>/credit-note/", BILL(views.credit_note), name="credit_note"),
    path("documents/<int:pk>/refund/", PAY(views.refund), name="refund"),
    path("services/<int:pk>/suspend/", ACT(views.service_suspend), name="service_suspend"),
    path("services/<int:pk>/unsuspend/", ACT(views.service_unsuspend), name="service_unsuspend"),
    path("services/<int:pk>/terminate/", ACT(views.service_terminate), name="service_terminate"),
    path("services/<int:pk>/restore/", RESTORE(views.service_restore), name="service_restore"),
    path("dashboard/", FIGURES(views.dashboard), name="dashboard"),
]
