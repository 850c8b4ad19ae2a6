from django.urls import include, path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from laces.components import Component

from . import admin_urls
from .admin_views import can_view, source_rows
from .charts import runs_per_day
from .models import ImportRun


@hooks.register("register_admin_urls")
def register_imports_urls():
    return [path("imports/", include(admin_urls, namespace="importers_admin"))]


class ImportsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view(request.user)


@hooks.register("register_admin_menu_item")
def register_imports_menu_item():
    return ImportsMenuItem("Imports", reverse("importers_admin:index"), icon_name="download", order=800)


class ImportsPanel(Component):
    """Dashboard panel: sources needing attention, the last run of each source and the 30-day chart."""

    name = "imports"
    order = 150
    template_name = "importers/admin/dashboard_panel.html"

    def get_context_data(self, parent_context=None):
        rows = source_rows()
        return {
            "sources": rows,
            "failing": [row for row in rows if row["last_run"] and row["last_run"].status == ImportRun.Status.FAILED],
            "review_count": ImportRun.objects.filter(status=ImportRun.Status.NEEDS_REVIEW, reviewed_at=None).count(),
            "chart": runs_per_day(30),
        }


@hooks.register("construct_homepage_panels")
def add_imports_panel(request, panels):
    if can_view(request.user):
        panels.append(ImportsPanel())
