"""The API's addresses, under /api/v1/ (`core.urls`), with its schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("meetings", views.MeetingViewSet, basename="meeting")
router.register("issues", views.IssueViewSet, basename="issue")
router.register("items", views.ItemViewSet, basename="item")
router.register("extension-requests", views.ExtensionRequestViewSet, basename="extension-request")
router.register("evidence", views.EvidenceViewSet, basename="evidence")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
