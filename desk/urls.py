from django.urls import path

from desk import views

app_name = "desk"

urlpatterns = [
    path("status/", views.grid, name="grid"),
    path("todo/", views.todo, name="todo"),
]
