from django.urls import path

from subjects import views

app_name = "subjects"

urlpatterns = [
    path("", views.participant_list, name="list"),
    path("register/", views.participant_register, name="register"),
    path("study/", views.study_config, name="study"),
    path("<slug:screening_number>/", views.participant_detail, name="detail"),
    path("<slug:screening_number>/edit/", views.participant_edit, name="edit"),
    path("<slug:screening_number>/screening/", views.screening_edit, name="screening"),
    path("<slug:screening_number>/screening/preview/", views.screening_preview, name="screening_preview"),
    path("<slug:screening_number>/signoff/", views.eligibility_signoff, name="signoff"),
    path("<slug:screening_number>/enroll/", views.participant_enroll, name="enroll"),
    path("<slug:screening_number>/withdraw/", views.participant_withdraw, name="withdraw"),
    path("<slug:screening_number>/visits/<slug:visit_code>/", views.visit_edit, name="visit"),
]
