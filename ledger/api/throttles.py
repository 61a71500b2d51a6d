"""Request rates of the API: per token and per person (README, "REST API").

The rates are read from the settings at each request (`LEDGER_API_TOKEN_RATE`,
`LEDGER_API_USER_RATE`), not once at import as DRF's own classes do, so that a deployment
and a test can change them."""

from django.conf import settings
from rest_framework import throttling

from core.models import ApiToken


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests made with one API token."""

    scope = "token"

    def get_rate(self):
        return settings.LEDGER_API_TOKEN_RATE

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(throttling.UserRateThrottle):
    """Requests of one signed-in person, by session or by any of their tokens."""

    def get_rate(self):
        return settings.LEDGER_API_USER_RATE

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
