"""Export, data-dictionary and audit-trail endpoints, under /api/v1/ (included by trialsite/api_urls.py)."""

from django.urls import path

from exports.api import views
from exports.api.casebook import CasebookPdfView

urlpatterns = [
    path("exports/sdtm/<str:domain>.csv", views.SdtmExportView.as_view(), name="export-sdtm"),
    path("exports/sdtm/<str:domain>.xpt", views.SdtmXptView.as_view(), name="export-sdtm-xpt"),
    path("exports/sdtm.zip", views.SdtmPackageView.as_view(), name="export-sdtm-package"),
    path("exports/define.xml", views.DefineXmlView.as_view(), name="export-define"),
    path("exports/odm.xml", views.OdmExportView.as_view(), name="export-odm"),
    path("exports/audit-trail.csv", views.AuditTrailCsvAliasView.as_view(), name="export-audit-trail"),
    path("audit-trail.csv", views.AuditTrailCsvView.as_view(), name="audit-trail-csv"),
    path("data-dictionary/", views.DataDictionaryView.as_view(), name="data-dictionary"),
    path("audit-trail/", views.AuditTrailView.as_view(), name="audit-trail"),
    path("participants/<slug:screening_number>/casebook.pdf", CasebookPdfView.as_view(), name="casebook-pdf"),
]
