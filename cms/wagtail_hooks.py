"""Admin registrations: the catalogue resource chooser and the navigation snippets."""

from django.templatetags.static import static
from django.utils.html import format_html

from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.choosers import resource_chooser_viewset
from cms.models import NavigationMenu


@hooks.register("register_admin_viewset")
def register_resource_chooser():
    return resource_chooser_viewset


class NavigationMenuViewSet(SnippetViewSet):
    model = NavigationMenu
    icon = "list-ul"
    menu_label = "Navigation"
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["__str__", "title"]


register_snippet(NavigationMenuViewSet)


@hooks.register("insert_global_admin_css")
def admin_css():
    """The project's admin styles (static/css/admin.css): e.g. the Imports tables scroll instead of overflowing."""
    return format_html('<link rel="stylesheet" href="{}">', static("css/admin.css"))


# --- API keys (issue 16): Settings → API keys ---
@hooks.register("register_admin_viewset")
def register_api_key_viewset():
    from cms.accounts.api_key_admin import api_key_viewset

    return api_key_viewset
