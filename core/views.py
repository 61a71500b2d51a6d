"""Views of the site itself (not of the ledger)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ledger.models import MutedItem

from .audit import save_with_history
from .forms import ProfileForm
from .models import User


@require_GET
def healthz(request):
    """A tiny answer for a load balancer's health check, and the floor of the load test
    (`bench/load.py`): the whole middleware stack, no query, no template."""
    return HttpResponse("ok\n", content_type="text/plain")


def set_language_cookie(response, language):
    """Make the UI speak `language` from the next request on (Django's language cookie)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The person's language, channels, mobile number and email, and the items they muted."""
    # The person as a model instance (request.user is a lazy wrapper the history cannot name).
    person = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        # People are audited: the change is on record as the person's own.
        save_with_history(form.save(commit=False), user=person, action="profile")
        translation.activate(person.language)
        messages.success(request, _("Your profile was saved."))
        return set_language_cookie(redirect("profile"), person.language)
    muted = MutedItem.objects.filter(person=request.user).select_related("item")
    return render(request, "accounts/profile.html", {"form": form, "muted": muted})
