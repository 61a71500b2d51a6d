"""Root URLs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ledger.views import dashboard, todo

from . import views

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path(
        "accounts/login/",
        todo.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/tokens/", views.create_api_token, name="create_api_token"),
    path("accounts/profile/tokens/<int:pk>/revoke/", views.revoke_api_token, name="revoke_api_token"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("ledger.api.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("history-chain/", views.history_chain, name="history_chain"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ledger/", include("ledger.urls")),
    path("notifications/", include("ledger.notification_urls")),
]

# Evidence is served only by the ledger's download view, which checks scope: MEDIA_ROOT is
# never exposed as static files, not even with DEBUG on.
