app_name = "dosing"

urlpatterns: list = []
