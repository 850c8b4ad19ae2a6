"""The role groups of cms migration 0008_roles: their permissions, and that the migration is idempotent and
reversible (issue 16)."""

import importlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from wagtail.models import GroupPagePermission, Page

import pytest

roles = importlib.import_module("cms.migrations.0008_roles")

ROLE_NAMES = ("Editors", "Moderators", "Import operators", "Administrators")


def member_of(name):
    user = get_user_model().objects.create_user(f"member-{name.lower().replace(' ', '-')}", password="x")
    user.groups.add(Group.objects.get(name=name))
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.django_db
def test_each_role_can_do_its_work_and_no_more():
    editor, moderator, operator, administrator = (member_of(name) for name in ROLE_NAMES)
    for user in (editor, moderator, operator, administrator):
        assert user.has_perm("wagtailadmin.access_admin")
    assert editor.has_perms(["catalog.change_learningresource", "news.change_feeditem", "search.change_synonym"])
    assert not editor.has_perm("catalog.delete_learningresource")
    assert not editor.has_perm("importers.add_importrun")
    assert operator.has_perms(
        ["importers.view_importrun", "importers.add_importrun", "importers.change_sourcesettings"]
    )
    assert not operator.has_perm("catalog.change_learningresource")
    assert administrator.has_perms(["cms.change_user", "auth.change_group", "importers.change_sourcesettings"])
    assert not administrator.is_superuser

    root = Page.objects.get(depth=1)
    granted = GroupPagePermission.objects.filter(page=root)
    page_permissions = {
        name: set(granted.filter(group__name=name).values_list("permission__codename", flat=True))
        for name in ROLE_NAMES
    }
    assert "publish_page" in page_permissions["Moderators"] and "publish_page" in page_permissions["Administrators"]
    assert "publish_page" not in page_permissions["Editors"] and "change_page" in page_permissions["Editors"]
    assert page_permissions["Import operators"] == set()


@pytest.mark.django_db(transaction=True)
def test_the_migration_is_idempotent_and_reversible():
    from django.apps import apps

    # Run again on a database that has the roles: nothing is duplicated.
    roles.create_roles(apps, None)
    roles.create_roles(apps, None)
    assert Group.objects.filter(name__in=ROLE_NAMES).count() == 4

    call_command("migrate", "cms", "0005_homepage_sections", verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) >= {"Editors", "Moderators"}
    assert not Group.objects.filter(name__in=("Import operators", "Administrators")).exists()
    assert not Group.objects.get(name="Editors").permissions.filter(codename="change_learningresource").exists()
    assert Group.objects.get(name="Editors").permissions.filter(codename="access_admin").exists()  # Wagtail's own

    call_command("migrate", "cms", verbosity=0)
    assert Group.objects.filter(name__in=ROLE_NAMES).count() == 4
    assert Group.objects.get(name="Editors").permissions.filter(codename="change_learningresource").exists()
