"""Views of the site itself (not of the ledger)."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """A tiny answer for a load balancer's health check, and the floor of the load test
    (`bench/load.py`): the whole middleware stack, no query, no template."""
    return HttpResponse("ok\n", content_type="text/plain")
