from django.urls import path

from subjects import views

app_name = "subjects"

urlpatterns = [
    path("", views.participant_list, name="list"),
    path("register/", views.participant_register, name="register"),
    path("study/", views.study_config, name="study"),
    path("<str:screening_number>/", views.participant_detail, name="detail"),
    path("<str:screening_number>/edit/", views.participant_edit, name="edit"),
    path("<str:screening_number>/screening/", views.screening_edit, name="screening"),
    path("<str:screening_number>/screening/preview/", views.screening_preview, name="screening_preview"),
    path("<str:screening_number>/signoff/", views.eligibility_signoff, name="signoff"),
    path("<str:screening_number>/enroll/", views.participant_enroll, name="enroll"),
    path("<str:screening_number>/withdraw/", views.participant_withdraw, name="withdraw"),
    path("<str:screening_number>/visits/<str:visit_code>/", views.visit_edit, name="visit"),
]
