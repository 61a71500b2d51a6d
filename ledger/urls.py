"""URLs of the ledger. Paths are stable: bookmarks and other parts rely on them."""

from django.urls import path

from .views import reports

app_name = "ledger"

urlpatterns = [
    # Printed reports (ledger.views.reports).
    path("report.pdf", reports.report_pdf, name="report_pdf"),
    path("summary.pdf", reports.summary_pdf, name="summary_pdf"),
    path("progress.pdf", reports.progress_pdf, name="progress_pdf"),
    path("items/<int:pk>/dossier.pdf", reports.item_dossier, name="item_dossier"),
    path("meetings/<int:pk>/minutes.pdf", reports.meeting_minutes, name="meeting_minutes"),
    # Big reports, generated in the background.
    path("reports/", reports.start_report_job, name="start_report_job"),
    path("reports/<uuid:pk>/", reports.report_job, name="report_job"),
    path("reports/<uuid:pk>/file", reports.report_job_file, name="report_job_file"),
]
