"""URLs of the ledger. Paths are stable: bookmarks and other parts rely on them."""

from django.urls import path  # noqa: F401  (patterns are added by the ledger's features)

app_name = "ledger"

urlpatterns = []
