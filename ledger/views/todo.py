"""待我处理 (`/ledger/todo/`): what waits for the user's action, and where a user lands after
logging in. The selection rules are `ledger.queue`'s; this module only shows them."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from .. import queue


@login_required
@require_GET
def todo(request):
    """The work queue: one section per kind of waiting work, each row linked to its form."""
    today = timezone.localdate()
    sections = queue.work_queue(request.user, today)
    return render(
        request,
        "ledger/todo.html",
        {
            "sections": [entry for entry in sections if entry.count],
            "empty": not any(entry.count for entry in sections),
            "today": today,
        },
    )


class LoginView(auth_views.LoginView):
    """Django's login, landing where the user's work is (`queue.landing_url`) unless the login
    page was given an explicit, safe `next`."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        # The interface speaks the language the person chose on their profile.
        from core.views import set_language_cookie

        response = super().form_valid(form)
        translation.activate(self.request.user.language)
        return set_language_cookie(response, self.request.user.language)

    def get_default_redirect_url(self):
        if self.request.user.is_authenticated:
            return queue.landing_url(self.request.user)
        return super().get_default_redirect_url()
