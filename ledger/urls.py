"""URLs of the ledger. Paths are stable: bookmarks and other parts rely on them."""

from django.urls import path

from .views import sheets

app_name = "ledger"

urlpatterns = [
    path("export.xlsx", sheets.export_xlsx, name="export_xlsx"),
    path("export.csv", sheets.export_csv, name="export_csv"),
    path("import/", sheets.import_upload, name="import"),
    path("import/<str:token>/", sheets.import_preview, name="import_preview"),
    path("import/<str:token>/confirm/", sheets.import_confirm, name="import_confirm"),
]
