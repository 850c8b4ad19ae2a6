"""Learner list pages: the learner's lists (/lists/), one list (/lists/<id>/), saving a resource, and a list shared by
link (/lists/shared/<token>/).

Every page works without JavaScript (forms POST with a CSRF token and redirect back); `static/js/site.js` makes the
resource page's Save control submit in place (it asks for JSON). Owner pages are `private, no-store`; the shared page
is read-only, never names the owner and is `noindex`. Each page runs a fixed number of queries.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from catalog import lists as service
from catalog.models import LearnerList, LearningResource, ListPrivacy


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _login(request, next_url: str | None = None):
    return redirect_to_login(next_url or request.get_full_path(), settings.LEARNER_LOGIN_URL)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _refuse(request, message: str, fallback: str, status: int = 400):
    """Explain a refusal: JSON for scripts, a message on the page the learner came from otherwise."""
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    messages.error(request, message)
    return redirect(_safe_next(request, fallback))


def _own_list(request, pk: int) -> LearnerList:
    # Another user's list is "not found", not "forbidden": its existence is private too.
    return get_object_or_404(LearnerList, pk=pk, owner=request.user)


@never_cache
@require_safe
def my_lists(request):
    if not request.user.is_authenticated:
        return _login(request)
    context = {"lists": list(service.lists_for(request.user)), "privacy_choices": ListPrivacy.choices}
    return _private(render(request, "catalog/lists/index.html", context))


@never_cache
@require_POST
def create_list(request):
    if not request.user.is_authenticated:
        return _login(request, reverse("lists:index"))
    try:
        learner_list = service.create_list(
            request.user,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            privacy=request.POST.get("privacy", ListPrivacy.PRIVATE),
        )
    except service.ListError as error:
        return _refuse(request, str(error), reverse("lists:index"))
    messages.success(request, f"List “{learner_list.title}” created.")
    return redirect("lists:detail", pk=learner_list.pk)


@never_cache
@require_safe
def list_detail(request, pk):
    if not request.user.is_authenticated:
        return _login(request)
    learner_list = _own_list(request, pk)
    items = list(service.visible_items(learner_list))
    context = {
        "list": learner_list,
        "items": items,
        "unavailable": service.unavailable_count(learner_list),
        "share_url": request.build_absolute_uri(reverse("lists:shared", args=[learner_list.share_token]))
        if learner_list.is_shared
        else "",
        "privacy_choices": ListPrivacy.choices,
    }
    return _private(render(request, "catalog/lists/detail.html", context))


@never_cache
@require_POST
def update_list(request, pk):
    """One form action per button: `action` = save | share | unshare | delete | remove | up | down."""
    if not request.user.is_authenticated:
        return _login(request, reverse("lists:detail", args=[pk]))
    learner_list = _own_list(request, pk)
    here = reverse("lists:detail", args=[pk])
    action = request.POST.get("action", "save")
    if action == "save":
        title = request.POST.get("title", "").strip()
        if not title:
            return _refuse(request, "Give the list a title.", here)
        learner_list.title = title[:200]
        learner_list.description = request.POST.get("description", "")[:2000]
        learner_list.save(update_fields=["title", "description", "updated_at"])
        messages.success(request, "List saved.")
    elif action == "share":
        service.share(learner_list)
        messages.success(request, "Anyone with the new link can now see this list; any earlier link no longer works.")
    elif action == "unshare":
        service.unshare(learner_list)
        messages.success(request, "This list is private again; its link no longer works.")
    elif action == "delete":
        title = learner_list.title
        learner_list.delete()
        messages.success(request, f"List “{title}” deleted.")
        return redirect("lists:index")
    elif action in ("remove", "up", "down"):
        try:
            resource_id = int(request.POST.get("resource", ""))
        except ValueError:
            return _refuse(request, "Say which resource to change.", here)
        if action == "remove":
            service.remove_item(learner_list, resource_id)
            messages.success(request, "Removed from the list.")
        else:
            order = list(learner_list.items.order_by("position", "pk").values_list("resource_id", flat=True))
            if resource_id not in order:
                return _refuse(request, "That resource is not in this list.", here)
            index = order.index(resource_id)
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(order):
                order[index], order[other] = order[other], order[index]
                service.reorder(learner_list, order)
    else:
        return _refuse(request, f"Unknown action {action[:40]!r}.", here)
    return redirect(here)


@never_cache
@require_POST
def save_resource(request, resource_id):
    """The resource page's Save control: add to the chosen list (default: "Saved", created on first save)."""
    resource = LearningResource.objects.filter(pk=resource_id).first()
    back = resource.get_absolute_url() if resource else reverse("catalog:browse")
    if not request.user.is_authenticated:
        if _wants_json(request):
            return JsonResponse(
                {"detail": "Sign in to save resources.", "login_url": settings.LEARNER_LOGIN_URL}, status=401
            )
        return _login(request, back)
    if resource is None or not resource.is_public:
        return _refuse(request, "This resource is not available, so it cannot be saved.", back, status=404)
    list_id = request.POST.get("list", "")
    try:
        if list_id:
            learner_list = LearnerList.objects.filter(pk=int(list_id), owner=request.user).first()
            if learner_list is None:
                return _refuse(request, "That list does not exist (it may have been deleted).", back, status=404)
        else:
            learner_list = service.default_list(request.user)
        _, created = service.add_item(learner_list, resource)
    except ValueError as error:  # ListError, or a list id that is not a number
        message = str(error) if isinstance(error, service.ListError) else "Choose a list from the menu."
        return _refuse(request, message, back)
    message = f"Saved to “{learner_list.title}”." if created else f"Already in “{learner_list.title}”."
    if _wants_json(request):
        return JsonResponse(
            {"detail": message, "list": learner_list.pk, "list_url": reverse("lists:detail", args=[learner_list.pk])},
            status=201 if created else 200,
        )
    messages.success(request, message)
    return redirect(_safe_next(request, back))


@require_safe
def shared_list(request, token):
    learner_list = service.shared_list(token)
    if learner_list is None:
        raise Http404("This list is not shared (the link may have been revoked).")
    context = {"list": learner_list, "items": list(service.visible_items(learner_list))}
    response = render(request, "catalog/lists/shared.html", context)
    # The link is the secret: keep it out of shared caches and search engines.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
