"""Token authentication of the API: `Authorization: Bearer <secret>` (or `Token <secret>`)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.models import ApiToken

KEYWORDS = (b"bearer", b"token")


class TokenAuthentication(authentication.BaseAuthentication):
    """A per-user token made on the profile page (`core.models.ApiToken`); the request acts as
    the token's person. `request.auth` is the token (the throttle counts per token)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the token after the word Bearer, without spaces."))
        try:
            secret = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("This API token is not valid.")) from None
        token = ApiToken.objects.for_secret(secret)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This API token is not valid."))
        return token.user, token

    def authenticate_header(self, request):
        return "Bearer"


class TokenScheme(OpenApiAuthenticationExtension):
    """The token scheme in the OpenAPI schema (drf-spectacular finds it by subclassing)."""

    target_class = "ledger.api.auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
