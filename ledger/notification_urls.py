"""URLs of notifications (`/notifications/`). Paths are stable."""

from django.urls import path

from .views import notifications

app_name = "notifications"

urlpatterns = [
    path("", notifications.notification_list, name="list"),
    path("<int:pk>/open/", notifications.open_notification, name="open"),
    path("read/", notifications.mark_all_read, name="mark_all_read"),
    path("mute/<int:pk>/", notifications.mute_item, name="mute_item"),
    path("robots/", notifications.webhook_list, name="webhooks"),
    path("robots/<int:pk>/", notifications.webhook_edit, name="webhook_edit"),
]
