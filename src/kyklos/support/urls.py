from django.urls import path

from kyklos.accounts.access import require_permission
from kyklos.support import views

# Who may use each page is what the page does, in the grant table's terms
# (kyklos.accounts.roles): reading tickets is support "view" (billing sees the desk too),
# working them is support "change" (support and technical staff), drafting a quote for
# out-of-scope work is projects "add", and time on a ticket is logged by whoever works the
# ticket or bills the work.
READ = require_permission("support", "view")
WORK = require_permission("support", "change")
QUOTE = require_permission("projects", "add")
TIME = require_permission("support", "change", ("projects", "add"))

app_name = "desk"
urlpatterns = [
    path("", READ(views.queue), name="queue"),
    path("tickets/<int:pk>/", READ(views.ticket_detail), name="ticket"),
    path("tickets/<int:pk>/message/", WORK(views.post_message), name="message"),
    path("tickets/<int:pk>/triage/", WORK(views.triage), name="triage"),
    path("tickets/<int:pk>/out-of-scope/", QUOTE(views.out_of_scope), name="out_of_scope"),
    path("tickets/<int:pk>/time/", TIME(views.log_time), name="time"),
    path("tickets/<int:pk>/void-sla/", WORK(views.void_sla), name="void_sla"),
    path("tickets/<int:pk>/outage/", WORK(views.confirm_outage), name="outage"),
    path("canned/<int:pk>/", READ(views.canned_reply), name="canned"),
    path("attachments/<int:pk>/", READ(views.attachment), name="attachment"),
    path("report/", READ(views.sla_report), name="report"),
]
