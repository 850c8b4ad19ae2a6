"""Admin registrations: the catalogue resource chooser and the navigation snippets."""

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
