"""What a person typed into a form when their session had expired, kept until they log in again.

An owner writes a progress report underground, on a phone, for twenty minutes; the session has
expired meanwhile, so the POST meets `login_required`, which sends them to the login page: what
they typed would be lost. Instead, :func:`login_required_keeping_typing` keeps the POST's fields
in the (new, anonymous) session, keyed by the address it was posted to; after the login, Django
sends the browser back to that address with a GET, and the action's view puts the fields back
into its form (:func:`take`), to be checked and sent again.

Why the server's session and not the browser's `sessionStorage`: the round trip then works
without JavaScript and on every browser the mines' phones run; a view test can follow it; and
the fields never leave the server again except into the form of the same address. Django's
`login()` keeps the data of an anonymous session (it only cycles the key), so nothing else is
needed. The kept fields live only in the session of the browser that posted them, for
:data:`MAX_AGE` seconds, and only the person who logs in next in that browser gets them back, on a
page that checks that they may see the record. Files (evidence photos) cannot be kept: a browser
sends a file only with the form it was chosen in, so the page says which ones to choose again.
"""

import time
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext_lazy as _

SESSION_KEY = "ledger_unsent_forms"
MAX_AGE = 30 * 60  # seconds: long enough to find the password, short enough for a shared phone
MAX_SIZE = 50_000  # characters of typed text kept per address; a longer post is not kept
IGNORED = {"csrfmiddlewaretoken"}


@dataclass(frozen=True)
class Draft:
    """The fields of a POST that met an expired session; `files` are the names of the files
    that it carried and that could not be kept."""

    data: dict
    files: list

    def initial(self):
        """The fields as a form's `initial`: one value per field, a list where several were sent."""
        return {name: values[-1] if len(values) == 1 else values for name, values in self.data.items()}


def login_required_keeping_typing(view):
    """Like `login_required`, but a POST from someone logged out is kept (see the module's
    docstring) before they are sent to the login page, which says so."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.method == "POST":
            keep(request)
        return redirect_to_login(request.get_full_path())

    return wrapper


def keep(request):
    """Keep the fields of `request.POST` in the session, for its address."""
    data = {name: values for name, values in request.POST.lists() if name not in IGNORED}
    files = [uploaded.name for name in request.FILES for uploaded in request.FILES.getlist(name)]
    if sum(len(value) for values in data.values() for value in values) > MAX_SIZE:
        messages.warning(request, _("Your session has expired. Please log in again."))
        return
    now = int(time.time())
    kept = {
        path: entry
        for path, entry in request.session.get(SESSION_KEY, {}).items()
        if now - entry["saved"] <= MAX_AGE
    }
    kept[request.path] = {"data": data, "files": files, "saved": now}
    request.session[SESSION_KEY] = kept
    messages.warning(
        request,
        _("Your session has expired. Log in again: what you typed will be back in the form."),
    )


def take(request):
    """The draft kept for this address (removing it), or None when there is none or it is too old."""
    kept = request.session.get(SESSION_KEY)
    if not kept or request.path not in kept:
        return None
    entry = kept.pop(request.path)
    request.session[SESSION_KEY] = kept
    if int(time.time()) - entry["saved"] > MAX_AGE:
        return None
    return Draft(data=entry["data"], files=entry["files"])


def tell_restored(request, draft):
    """The messages shown with a form filled in again from `draft`."""
    messages.info(
        request, _("What you typed before logging in is back in the form: check it and send it again.")
    )
    if draft.files:
        messages.warning(
            request,
            _("Files cannot be kept while you log in: choose them again ({names}).").format(
                names=str(_(", ")).join(draft.files)
            ),
        )
