"""URLs of the ledger. Paths are stable: bookmarks and other parts rely on them."""

from django.urls import path

from .views import bulk, issues, items, meetings, reports, saved_views, sheets, todo

app_name = "ledger"

urlpatterns = [
    path("export.xlsx", sheets.export_xlsx, name="export_xlsx"),
    path("export.csv", sheets.export_csv, name="export_csv"),
    path("import/", sheets.import_upload, name="import"),
    path("import/template.xlsx", sheets.import_template, name="import_template"),
    path("import/<str:token>/", sheets.import_preview, name="import_preview"),
    path("import/<str:token>/confirm/", sheets.import_confirm, name="import_confirm"),
    path("", items.item_list, name="item_list"),
    path("mine/", items.mine, name="mine"),
    path("bulk/", bulk.bulk_edit, name="bulk_edit"),
    path("todo/", todo.todo, name="todo"),
    path("items/<int:pk>/", items.item_detail, name="item_detail"),
    path("items/<int:pk>/history/", items.item_history, name="item_history"),
    path("items/<int:pk>/edit/", items.edit_item, name="edit_item"),
    path("items/<int:pk>/start/", items.start_item, name="start_item"),
    path("items/<int:pk>/progress/", items.post_progress, name="post_progress"),
    path("items/<int:pk>/evidence/", items.attach_evidence, name="attach_evidence"),
    path("items/<int:pk>/submit/", items.submit_item, name="submit_item"),
    path("items/<int:pk>/extension/", items.request_extension, name="request_extension"),
    path("items/<int:pk>/extension/decide/", items.decide_extension, name="decide_extension"),
    path("items/<int:pk>/review/", items.review_item, name="review_item"),
    path("items/<int:pk>/return/", items.return_item, name="return_item"),
    path("items/<int:pk>/close/", items.close_item, name="close_item"),
    path("items/<int:pk>/reopen/", items.reopen_item, name="reopen_item"),
    path("items/<int:pk>/withdraw/", items.withdraw_item, name="withdraw_item"),
    path("evidence/<int:pk>/", items.evidence_download, name="evidence_download"),
    path("meetings/", meetings.meeting_list, name="meeting_list"),
    path("meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/attendance/", meetings.add_attendance, name="add_attendance"),
    path("meetings/<int:pk>/roster/", meetings.save_roster, name="save_roster"),
    path("meetings/<int:pk>/items/", meetings.create_item, name="create_item"),
    path("issues/", issues.issue_list, name="issue_list"),
    path("issues/new/", issues.issue_create, name="issue_create"),
    path("issues/<int:pk>/", issues.issue_detail, name="issue_detail"),
    path("issues/<int:pk>/edit/", issues.issue_edit, name="issue_edit"),
    path("issues/<int:pk>/items/", issues.create_issue_item, name="create_issue_item"),
    path("issues/<int:pk>/items/several/", issues.create_issue_items, name="create_issue_items"),
    path("people/", meetings.people_search, name="people_search"),
    path("views/", saved_views.save_view, name="save_view"),
    path("views/<int:pk>/delete/", saved_views.delete_view, name="delete_view"),
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
