"""Wagtail admin registration for the catalogue: the "Catalogue" menu and the dashboard panel."""

from django.urls import reverse

from wagtail import hooks
from wagtail_modeladmin.options import modeladmin_register

from catalog.admin.dashboard import CatalogueSummaryPanel
from catalog.admin.modeladmins import CatalogueAdminGroup

modeladmin_register(CatalogueAdminGroup)


@hooks.register("construct_homepage_panels")
def add_catalogue_summary_panel(request, panels):
    user = request.user
    if user.has_perm("catalog.change_learningresource") or user.has_perm("catalog.view_learningresource"):
        panels.append(CatalogueSummaryPanel(index_url=reverse("catalogue_resources_modeladmin_index")))
