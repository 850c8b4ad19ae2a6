"""Roles as Wagtail groups (issue 16): Editors, Moderators, Import operators, Administrators.

The identity provider's role claims map to these groups (OIDC_ROLE_MAP); they can also be given by hand in the
admin. Idempotent: groups are fetched or created and permissions added, so running it on a database where Wagtail
already made Editors and Moderators (wagtailcore's initial data) only adds what is missing. Reversible: the
permissions it added are taken away again and the two groups it introduced are deleted; Wagtail's own Editors and
Moderators, and their Wagtail permissions, stay.
"""

from django.db import migrations

ACCESS_ADMIN = ("wagtailadmin", "admin", "access_admin")

# Catalogue editing: resources come from importers, so editors change (and lock fields of) them, never add or
# delete them; field locks are part of changing a resource (catalog/admin/locks.py).
CATALOGUE_EDITING = [
    ("catalog", "learningresource", "view"),
    ("catalog", "learningresource", "change"),
    ("catalog", "run", "view"),
    ("catalog", "run", "change"),
    ("catalog", "resourceinstructor", "view"),
    ("catalog", "resourceinstructor", "add"),
    ("catalog", "resourceinstructor", "change"),
    ("catalog", "resourceinstructor", "delete"),
    ("catalog", "resourcerelationship", "view"),
    ("catalog", "resourcerelationship", "add"),
    ("catalog", "resourcerelationship", "change"),
    ("catalog", "resourcerelationship", "delete"),
    ("catalog", "contentfile", "view"),
    *[
        ("catalog", model, action)
        for model in ("topic", "offeror", "instructor", "department")
        for action in ("view", "add", "change")
    ],
    ("catalog", "platform", "view"),
]
NEWS = [
    ("news", "feeditem", "view"),
    ("news", "feeditem", "change"),
    ("news", "feedsource", "view"),
]
SYNONYMS = [("search", "synonym", action) for action in ("view", "add", "change", "delete")]
IMPORTS = [
    ("importers", "importrun", "view"),
    ("importers", "importrun", "add"),  # run, dry-run, replay, approve/reject, schedules (importers/admin_views.py)
    ("importers", "importrun", "change"),
    ("importers", "sourcesettings", "view"),
    ("importers", "sourcesettings", "change"),
    ("importers", "storedsnapshot", "view"),
    ("importers", "importlock", "view"),
    ("importers", "contentarchive", "view"),
    ("catalog", "learningresource", "view"),
    ("catalog", "sourcesnapshot", "view"),
    ("news", "feedsource", "view"),
    ("news", "feedsource", "change"),
    ("news", "feeditem", "view"),
]
# Administrators: everything in these apps (users, groups, site settings, navigation, redirects, ...), without
# being superusers; a superuser is made locally, never by the identity provider.
ADMINISTRATOR_APPS = (
    "catalog",
    "news",
    "importers",
    "search",
    "cms",
    "auth",
    "wagtailcore",
    "wagtailimages",
    "wagtaildocs",
    "wagtailredirects",
    "wagtailsearchpromotions",
    "wagtailforms",
    "wagtailembeds",
)

ROLES = {
    "Editors": {"models": [ACCESS_ADMIN, *CATALOGUE_EDITING, *NEWS, *SYNONYMS], "pages": ["add", "change"]},
    "Moderators": {
        "models": [ACCESS_ADMIN, *CATALOGUE_EDITING, *NEWS, ("news", "feedsource", "change"), *SYNONYMS],
        "pages": ["add", "change", "publish", "lock", "unlock"],
    },
    "Import operators": {"models": [ACCESS_ADMIN, *IMPORTS], "pages": []},
    "Administrators": {
        "models": [ACCESS_ADMIN],
        "apps": ADMINISTRATOR_APPS,
        "pages": ["add", "change", "publish", "bulk_delete", "lock", "unlock"],
    },
}
# Images and documents are permitted per collection (the root collection: all of them).
COLLECTION_PERMISSIONS = {
    "Editors": ["add", "change", "choose"],
    "Moderators": ["add", "change", "choose"],
    "Administrators": ["add", "change", "choose", "delete"],
}
# Groups Wagtail did not make: deleted when the migration is reversed.
NEW_GROUPS = ("Import operators", "Administrators")


def _ensure_permissions(apps):
    """Model permissions are normally made after all migrations (post_migrate); make them now on a new database."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # The real app registry (tests call create_roles directly) has its models modules already.
        if getattr(app_config, "models_module", None) is not None:
            create_permissions(app_config, apps=apps, verbosity=0)
            continue
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def _model_permissions(apps, role):
    Permission = apps.get_model("auth", "Permission")
    wanted = set()
    for app_label, model, action in role["models"]:
        codename = action if (app_label, model) == ("wagtailadmin", "admin") else f"{action}_{model}"
        wanted.add((app_label, codename))
    permissions = [
        permission
        for permission in Permission.objects.select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
        or permission.content_type.app_label in role.get("apps", ())
    ]
    found = {(p.content_type.app_label, p.codename) for p in permissions}
    missing = wanted - found
    if missing:
        raise RuntimeError(f"cms.0008_roles: permissions not found: {sorted(missing)}")
    return permissions


def _root_page_and_collection(apps):
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    return Page.objects.filter(depth=1).first(), Collection.objects.filter(depth=1).first()


def _permissions_by_codename(apps):
    Permission = apps.get_model("auth", "Permission")
    return {(p.content_type.app_label, p.codename): p for p in Permission.objects.select_related("content_type")}


def create_roles(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    root_page, root_collection = _root_page_and_collection(apps)
    permissions = _permissions_by_codename(apps)
    for name, role in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_model_permissions(apps, role))
        if root_page is not None:
            for action in role["pages"]:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=root_page, permission=permissions[("wagtailcore", f"{action}_page")]
                )
        if root_collection is not None:
            for app_label, model in (("wagtailimages", "image"), ("wagtaildocs", "document")):
                for action in COLLECTION_PERMISSIONS.get(name, []):
                    GroupCollectionPermission.objects.get_or_create(
                        group=group,
                        collection=root_collection,
                        permission=permissions[(app_label, f"{action}_{model}")],
                    )


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=NEW_GROUPS).delete()
    for name in ("Editors", "Moderators"):
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        # Keep what Wagtail's initial data gave these groups; take away what this migration added.
        wagtail_own = {"access_admin"} | {
            f"{action}_{model}" for model in ("image", "document") for action in ("add", "change", "choose", "delete")
        }
        added = [p for p in _model_permissions(apps, ROLES[name]) if p.codename not in wagtail_own]
        group.permissions.remove(*added)
    # Wagtail's Editors and Moderators already had the page and collection permissions given here: nothing to undo.


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0007_page_cache_generation"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
        ("wagtailsearchpromotions", "0007_searchpromotion_external_link_text_and_more"),
        ("wagtailforms", "0005_alter_formsubmission_form_data"),
        ("wagtailembeds", "0009_embed_cache_until"),
        ("catalog", "0008_learner_lists"),
        ("news", "0002_seed_feed_sources"),
        ("importers", "0003_run_request_heartbeat_waiting"),
        ("search", "0009_saved_searches"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
