"""My learning (/my/), saving a search from /search/, changing its digest, and one-click unsubscribe.

/my/ shows lists (read through the ORM from catalog, which search may import), saved resources and saved searches;
it and every page here except unsubscribe need a signed-in user (others are sent to the sign-in page) and are
`private, no-store`. "Save this search" on /search/ is a plain link to /my/searches/new/?<the search's parameters>,
so the search page itself carries no per-user content or CSRF token and stays cacheable.
Unsubscribe needs no sign-in: the signed token in the link is the authority (RFC 8058 one-click POST included).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from catalog import lists as catalog_lists

from . import service
from .models import DigestFrequency, SavedSearch
from .tokens import read_token


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


def _login(request):
    return redirect_to_login(request.get_full_path(), settings.LEARNER_LOGIN_URL)


@never_cache
@require_safe
def my_learning(request):
    if not request.user.is_authenticated:
        return _login(request)
    lists = list(catalog_lists.lists_for(request.user))
    saved_list = next((item for item in lists if item.is_default), None)
    saved_items = list(catalog_lists.visible_items(saved_list)[:50]) if saved_list else []
    searches = list(request.user.saved_searches.all())
    for saved in searches:
        saved.url = service.search_url(saved)
        saved.description = service.describe(saved)
    context = {
        "lists": lists,
        "saved_list": saved_list,
        "saved_items": saved_items,
        "searches": searches,
        "frequencies": DigestFrequency.choices,
    }
    return _private(render(request, "search/saved/my_learning.html", context))


@never_cache
def new_saved_search(request):
    """GET: confirm the search to save (name, digest); POST: save it."""
    if not request.user.is_authenticated:
        return _login(request)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    source = request.POST if request.method == "POST" else request.GET
    params = service.params_from(source)
    error = ""
    if request.method == "POST":
        try:
            saved = service.create_saved_search(
                request.user,
                params,
                name=request.POST.get("name", ""),
                frequency=request.POST.get("frequency", DigestFrequency.OFF),
            )
        except service.SavedSearchError as refused:
            error = str(refused)
        else:
            messages.success(request, f"Search “{saved.name}” saved.")
            return redirect("saved_searches:my-learning")
    elif not params.q and not params.filters:
        error = "Search for something or choose a filter before saving the search."
    context = {
        "params": params,
        "default_name": service.default_name(params),
        "frequencies": DigestFrequency.choices,
        "error": error,
    }
    return _private(render(request, "search/saved/new.html", context, status=400 if error else 200))


@never_cache
@require_POST
def update_saved_search(request, pk):
    if not request.user.is_authenticated:
        return _login(request)
    saved = get_object_or_404(SavedSearch, pk=pk, owner=request.user)
    if request.POST.get("action") == "delete":
        saved.delete()
        messages.success(request, f"Saved search “{saved.name}” deleted.")
        return redirect("saved_searches:my-learning")
    try:
        service.set_frequency(saved, request.POST.get("frequency", saved.frequency))
    except service.SavedSearchError as error:
        messages.error(request, str(error))
        return redirect("saved_searches:my-learning")
    name = request.POST.get("name", "").strip()
    if name and name != saved.name:
        saved.name = name[:200]
        saved.save(update_fields=["name", "updated_at"])
    messages.success(request, f"Emails for “{saved.name}”: {saved.get_frequency_display().lower()}.")
    return redirect("saved_searches:my-learning")


@csrf_exempt  # the signed token authorises the change; mail clients POST here without a session (RFC 8058)
@never_cache
def unsubscribe(request, token):
    found = read_token(token)
    if found is None:
        response = render(request, "search/saved/unsubscribe.html", {"invalid": True}, status=400)
        return _private(response)
    user_id, saved_id = found
    saved = SavedSearch.objects.filter(pk=saved_id, owner_id=user_id).first() if saved_id else None
    if saved_id and saved is None:
        # The search was deleted since the email was sent: nothing to stop any more.
        return _private(render(request, "search/saved/unsubscribe.html", {"done": True, "gone": True}))
    if request.method == "POST":
        service.unsubscribe(user_id, saved_id)
        return _private(render(request, "search/saved/unsubscribe.html", {"done": True, "saved": saved}))
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    # GET only asks: link checkers and mail scanners open links, and must not unsubscribe anyone.
    return _private(render(request, "search/saved/unsubscribe.html", {"saved": saved, "token": token}))
