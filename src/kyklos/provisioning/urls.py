from django.urls import path

from kyklos.accounts.access import require_permission
from kyklos.provisioning import views

# Reading the jobs is provisioning "view" (technical and support staff); retrying a job
# and deciding a restore is "change" (technical staff).
READ = require_permission("provisioning", "view")
WORK = require_permission("provisioning", "change")

app_name = "provisioning"
urlpatterns = [
    path("jobs/", READ(views.jobs), name="jobs"),
    path("jobs/<int:pk>/", READ(views.job_detail), name="job"),
    path("jobs/<int:pk>/retry/", WORK(views.retry), name="retry"),
    path("restores/", READ(views.restores), name="restores"),
    path("restores/<int:pk>/decide/", WORK(views.decide_restore), name="decide_restore"),
    path("credentials/<str:token>/", views.customer_page(views.credentials), name="credentials"),
    path("services/<int:pk>/restore/", views.customer_page(views.restore), name="restore"),
]
