from django.urls import path

from safety import reminder_views

app_name = "reminders"

urlpatterns = [
    path("", reminder_views.reminder_list, name="list"),
    path("<int:reminder_id>/acknowledge/", reminder_views.reminder_acknowledge, name="acknowledge"),
]
