"""Views of the site itself (not of the ledger)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ledger.models import MutedItem

from . import chain
from .audit import save_with_history
from .forms import ApiTokenForm, ProfileForm
from .models import ApiToken, ChainCheckpoint, ChainVerification, User
from .permissions import Scope


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
    return _render_profile(request, form=form)


def _render_profile(request, *, form=None, token_form=None, new_token=None, status=200):
    muted = MutedItem.objects.filter(person=request.user).select_related("item")
    context = {
        "form": form or ProfileForm(instance=User.objects.get(pk=request.user.pk)),
        "muted": muted,
        "tokens": ApiToken.objects.filter(user=request.user),
        "token_form": token_form or ApiTokenForm(),
        "new_token": new_token,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def create_api_token(request):
    """Make an API token and show its secret, this once: only its digest is stored. A GET (a
    reload, a language switch) shows the profile page."""
    if request.method == "GET":
        return redirect("profile")
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _render_profile(request, token_form=form, status=400)
    token, secret = ApiToken.issue(request.user, form.cleaned_data["name"])
    response = _render_profile(request, new_token={"token": token, "secret": secret})
    # The page carries a secret: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def revoke_api_token(request, pk):
    """Revoke one of the person's own API tokens (another person's is a 404)."""
    if request.method == "GET":
        return redirect("profile")
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, _("The token “{name}” was revoked.").format(name=token.name))
    return redirect("profile")


@login_required
@require_GET
def history_chain(request):
    """The tamper-evident history (`core.chain`) for superusers and leadership: the last runs of
    `verify_history`, the current chain head and the heads reports were printed from."""
    if not Scope.for_user(request.user).may_see_history_chain():
        raise PermissionDenied
    head, chains = chain.global_digest()
    runs = list(ChainVerification.objects.all()[:10])
    checkpoints = ChainCheckpoint.objects.order_by("-created").only("digest", "created", "scope")[:10]
    for checkpoint in checkpoints:
        checkpoint.code = chain.short_code(checkpoint.digest)
    return render(
        request,
        "core/history_chain.html",
        {
            "head": head,
            "head_code": chain.short_code(head),
            "chains": chains,
            "last": runs[0] if runs else None,
            "runs": runs,
            "checkpoints": checkpoints,
            "problem_kinds": chain.problem_labels(),
        },
    )
