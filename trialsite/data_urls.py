"""Browser pages for data management: exports, audit trail, participant history."""

urlpatterns: list = []
