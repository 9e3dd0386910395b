from django.urls import path

from kyklos.privacy import views

app_name = "privacy"
urlpatterns = [
    path("notice/", views.notice, name="notice"),
    path("notice/v<int:number>/", views.notice, name="notice_version"),
    path("notice/v<int:number>.pdf", views.notice_pdf, name="notice_pdf"),
    path("cookies/", views.cookies, name="cookies"),
    path("preferences/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("processor/", views.processor_record, name="processor"),
    path("requests/", views.my_requests, name="requests"),
    path("requests/new/", views.public_request, name="public_request"),
    path("requests/verify/<str:token>/", views.verify_request, name="verify_request"),
    path("requests/<int:pk>/archive/", views.my_archive, name="my_archive"),
    path("requests/<int:pk>/archive/<str:token>/", views.request_archive, name="request_archive"),
]
