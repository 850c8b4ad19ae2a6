"""Demo content for the site itself: the admin account, the home page and a few standard pages.

Every loader here and in the other apps' `demo.py` is idempotent: it creates what is missing and leaves what
exists (including editors' changes) alone.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from wagtail.models import Page, Site

from cms.models import HomePage, StandardPage

STANDARD_PAGES = [
    (
        "about",
        "About Learnhub",
        "Learnhub gathers courses, programs, videos, podcasts and news from many sources.",
        "<p>Learnhub is an open catalogue of learning content. Editors curate pages; importers keep the catalogue "
        "true to its sources; learners browse and search.</p>",
    ),
    (
        "accessibility",
        "Accessibility",
        "How we make Learnhub usable by everyone.",
        "<p>We aim for WCAG 2.2 AA: keyboard navigation, visible focus, text alternatives and sufficient contrast. "
        "Tell us about any barrier you meet.</p>",
    ),
    (
        "privacy",
        "Privacy",
        "What we collect and why.",
        "<p>We keep only what we need to run the site: account details for editors, and anonymous usage counts.</p>",
    ),
]


def ensure_admin(log) -> None:
    User = get_user_model()
    username = settings.DEMO_ADMIN_USERNAME
    if User.objects.filter(username=username).exists():
        log(f"Admin user {username!r} exists; left unchanged.")
        return
    password = settings.DEMO_ADMIN_PASSWORD or secrets.token_urlsafe(12)
    User.objects.create_superuser(username=username, email=f"{username}@example.com", password=password)
    if settings.DEMO_ADMIN_PASSWORD:
        log(f"Created admin user {username!r} with the password from DEMO_ADMIN_PASSWORD.")
    else:
        log(f"Created admin user {username!r} with password {password!r} (shown once; change it in the admin).")


def ensure_home_page(log) -> HomePage:
    home = HomePage.objects.first()
    if home:
        return home
    root = Page.get_first_root_node()
    site = Site.objects.filter(is_default_site=True).first()
    # Wagtail's initial migration makes a plain "Welcome" page at slug "home": move it aside, replace it.
    placeholder = site.root_page if site and site.root_page.specific_class is Page else None
    if placeholder:
        placeholder.slug = f"welcome-{placeholder.pk}"
        placeholder.save(update_fields=["slug"])
    home = HomePage(
        title="Learn something new",
        slug="home",
        seo_title="Learnhub",
        introduction="Courses, programs, videos and podcasts from many sources, curated in one place.",
    )
    root.add_child(instance=home)
    home.save_revision().publish()
    if site:
        site.root_page = home
        site.site_name = settings.WAGTAIL_SITE_NAME
        site.save()
    else:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=settings.WAGTAIL_SITE_NAME,
        )
    if placeholder:
        placeholder.delete()
    log("Created the home page and made it the site root.")
    return home


def ensure_standard_pages(home: HomePage, log) -> None:
    for slug, title, intro, body in STANDARD_PAGES:
        if home.get_children().filter(slug=slug).exists():
            continue
        page = StandardPage(title=title, slug=slug, introduction=intro, body=body, search_description=intro)
        home.add_child(instance=page)
        page.save_revision().publish()
        log(f"Created page /{slug}/.")


def load_site(log) -> None:
    with transaction.atomic():
        ensure_admin(log)
        home = ensure_home_page(log)
        ensure_standard_pages(home, log)
