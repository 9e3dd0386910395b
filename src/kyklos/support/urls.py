from django.urls import path

from kyklos.accounts import roles as R
from kyklos.accounts.access import require_role
from kyklos.support import views

app_name = "desk"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/message/", views.post_message, name="message"),
    path("tickets/<int:pk>/triage/", views.triage, name="triage"),
    path("tickets/<int:pk>/out-of-scope/", views.out_of_scope, name="out_of_scope"),
    path("tickets/<int:pk>/time/", views.log_time, name="time"),
    path("tickets/<int:pk>/void-sla/", views.void_sla, name="void_sla"),
    path("canned/<int:pk>/", views.canned_reply, name="canned"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("report/", views.sla_report, name="report"),
]

# The desk is for the support and technical staff (admins always); billing staff see it to
# log time and draft quotes for out-of-scope work.
for _pattern in urlpatterns:
    _pattern.callback = require_role(R.SUPPORT, R.TECHNICAL, R.BILLING)(_pattern.callback)
