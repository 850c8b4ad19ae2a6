"""Demo content for the site itself: the admin account, the home page and a few standard pages (`load_site`);
then, once the demo catalogue exists, a landing page using every block, program pages linked to demo programs,
navigation menus and site settings (`load_pages`).

Every loader here and in the other apps' `demo.py` is idempotent: it creates what is missing and leaves what
exists (including editors' changes) alone.
"""

import secrets
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from wagtail.models import Page, Site

from cms.models import HomePage, LandingPage, NavigationMenu, ProgramPage, SiteSettings, StandardPage
from cms.sites import site_address

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
    """Create the demo admin once. DEMO_ADMIN_PASSWORD, when set, is its password on every run (a later run puts it
    back); otherwise a new admin gets a random password, printed once, and an existing one is left alone
    (`manage.py demo_admin` sets a new password)."""
    User = get_user_model()
    username = settings.DEMO_ADMIN_USERNAME
    wanted = settings.DEMO_ADMIN_PASSWORD
    user = User.objects.filter(username=username).first()
    if user is not None:
        if wanted and not user.check_password(wanted):
            user.set_password(wanted)
            user.save(update_fields=["password"])
            log(f"Admin user {username!r} exists; its password was set from DEMO_ADMIN_PASSWORD.")
        elif wanted:
            log(f"Admin user {username!r} exists; its password is DEMO_ADMIN_PASSWORD.")
        else:
            log(f"Admin user {username!r} exists; left unchanged.")
        return
    password = wanted or secrets.token_urlsafe(12)
    User.objects.create_superuser(username=username, email=f"{username}@example.com", password=password)
    if wanted:
        log(f"Created admin user {username!r} with the password from DEMO_ADMIN_PASSWORD.")
    else:
        log(f"Created admin user {username!r} with password {password!r} (shown once; `make admin` sets a new one).")


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
            **site_address(),
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


DEMO_VIDEO_URL = "https://www.youtube.com/watch?v=ySHK0Qm2aDU"
DEMO_VIDEO_HTML = (
    '<iframe width="560" height="315" src="https://www.youtube-nocookie.com/embed/ySHK0Qm2aDU" '
    'title="Learnhub demo video" allow="encrypted-media; picture-in-picture" allowfullscreen loading="lazy">'
    "</iframe>"
)


def ensure_demo_embed(url=DEMO_VIDEO_URL, html=DEMO_VIDEO_HTML):
    """Store the demo video's oEmbed answer so that rendering the demo never needs the network."""
    from wagtail.embeds.embeds import get_embed_hash
    from wagtail.embeds.models import Embed

    Embed.objects.get_or_create(
        hash=get_embed_hash(url),
        defaults={
            "url": url,
            "type": "video",
            "html": html,
            "title": "Learnhub demo video",
            "provider_name": "YouTube",
        },
    )


def demo_image(title, colour, log=None):
    """A generated solid-colour image (no files shipped, no network)."""
    import io

    from django.core.files.images import ImageFile

    from PIL import Image as PILImage

    from cms.models import CustomImage

    existing = CustomImage.objects.filter(title=title).first()
    if existing:
        return existing
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), colour).save(buffer, format="PNG")
    image = CustomImage(title=title, alt_text=f"{title} (decorative colour panel)")
    image.file = ImageFile(buffer, name=f"demo-{title.lower().replace(' ', '-')}.png")
    image.save()
    if log:
        log(f"Created image {title!r}.")
    return image


def every_block_body(resources, programs, images, pages):
    """A body using every block of the shared block set (StreamField raw data)."""
    first_topic = None
    for resource in resources:
        topic = resource.topics.first()
        if topic:
            first_topic = topic.slug
            break
    return [
        {"type": "heading", "value": {"text": "Find your next course", "level": "h2", "anchor": "find"}},
        {
            "type": "rich_text",
            "value": "<p>Learnhub brings together <b>courses</b>, programs, videos and podcasts from many "
            'institutions. Start with our picks below or <a href="/catalog/">browse everything</a>.</p>',
        },
        {"type": "image", "value": {"image": images[0].pk, "caption": "Learning together.", "width": "wide"}},
        {
            "type": "resource_list",
            "value": {
                "heading": "Editors' picks",
                "introduction": "Courses our editors recommend this month.",
                "resources": [{"type": "item", "id": str(uuid.uuid4()), "value": r.pk} for r in resources[:3]],
                "layout": "cards",
            },
        },
        {
            "type": "resource_query",
            "value": {
                "heading": "Free courses",
                "resource_type": "course",
                "topic": first_topic or "",
                "offeror": "",
                "free_only": True,
                "upcoming_only": False,
                "ordering": "popular",
                "count": 6,
            },
        },
        {
            "type": "program_list",
            "value": {
                "heading": "Programs",
                "programs": [{"type": "item", "id": str(uuid.uuid4()), "value": p.pk} for p in programs[:3]],
                "count": 3,
            },
        },
        {
            "type": "statistics",
            "value": {
                "heading": "Learnhub in numbers",
                "items": [
                    {"type": "item", "id": str(uuid.uuid4()), "value": {"value": "300+", "label": "demo resources"}},
                    {"type": "item", "id": str(uuid.uuid4()), "value": {"value": "8", "label": "providers"}},
                    {
                        "type": "item",
                        "id": str(uuid.uuid4()),
                        "value": {"value": "24/7", "label": "self-paced learning"},
                    },
                ],
            },
        },
        {
            "type": "quote",
            "value": {
                "quote": "I finished my first program in four months, around a full-time job.",
                "attribution": "Amina K.",
                "role": "Learner",
                "image": images[1].pk,
            },
        },
        {"type": "embed", "value": {"embed": DEMO_VIDEO_URL, "title": "Learnhub in two minutes", "caption": ""}},
        {
            "type": "card_grid",
            "value": {
                "heading": "Explore",
                "cards": [
                    {
                        "type": "item",
                        "id": str(uuid.uuid4()),
                        "value": {
                            "title": "About Learnhub",
                            "text": "Who we are.",
                            "image": images[1].pk,
                            "link": {"page": pages[0].pk, "resource": None, "url": ""},
                        },
                    },
                    {
                        "type": "item",
                        "id": str(uuid.uuid4()),
                        "value": {
                            "title": "The catalogue",
                            "text": "Everything, filterable.",
                            "image": None,
                            "link": {"page": None, "resource": None, "url": "/catalog/"},
                        },
                    },
                    {
                        "type": "item",
                        "id": str(uuid.uuid4()),
                        "value": {
                            "title": resources[0].title if resources else "A course",
                            "text": "A course to start with.",
                            "image": None,
                            "link": {"page": None, "resource": resources[0].pk if resources else None, "url": ""},
                        },
                    },
                ],
            },
        },
        {
            "type": "faq",
            "value": {
                "heading": "Frequently asked questions",
                "items": [
                    {
                        "type": "item",
                        "id": str(uuid.uuid4()),
                        "value": {
                            "question": "Is Learnhub free?",
                            "answer": "<p>Browsing is free; many courses are free to audit.</p>",
                        },
                    },
                    {
                        "type": "item",
                        "id": str(uuid.uuid4()),
                        "value": {
                            "question": "Where do the courses come from?",
                            "answer": "<p>From the institutions' own catalogues, refreshed daily.</p>",
                        },
                    },
                ],
            },
        },
        {
            "type": "call_to_action",
            "value": {
                "heading": "Ready to start?",
                "text": "Search the whole catalogue.",
                "button_label": "Browse the catalogue",
                "link": {"page": None, "resource": None, "url": "/catalog/"},
                "style": "primary",
            },
        },
    ]


def home_sections():
    """The demo home page's sections (StreamField raw data): live catalogue queries, topics, news and events."""

    def query(heading, **filters):
        value = {"heading": heading, "resource_type": "", "topic": "", "offeror": "", "free_only": False}
        value.update({"upcoming_only": False, "ordering": "featured", "count": 6, **filters})
        return {"type": "resource_query", "value": value, "id": str(uuid.uuid4())}

    return [
        query("Starting soon", resource_type="course", upcoming_only=True, ordering="upcoming", count=3),
        query("New in the catalogue", ordering="newest", count=3),
        {"type": "topics", "value": {"heading": "Browse by topic", "topics": [], "count": 12}, "id": str(uuid.uuid4())},
        query("Popular", ordering="popular", count=3),
        query("Free to learn", free_only=True, ordering="featured", count=3),
        {"type": "program_list", "value": {"heading": "Programs", "programs": [], "count": 3}, "id": str(uuid.uuid4())},
        {
            "type": "latest_news",
            "value": {"heading": "Latest news", "count": 3, "topic": "", "source": "", "show_images": False},
            "id": str(uuid.uuid4()),
        },
        {
            "type": "upcoming_events",
            "value": {"heading": "Upcoming events", "count": 3, "show_images": False},
            "id": str(uuid.uuid4()),
        },
    ]


def ensure_home_sections(home, log):
    """Give a home page without sections the demo's; a home page editors have filled is left alone."""
    home = HomePage.objects.get(pk=home.pk)
    if len(home.body):
        return
    home.body = home_sections()
    home.save_revision().publish()
    log("Added the home page's sections (starting soon, new, topics, popular, free, programs, news, events).")


def ensure_landing_page(home, resources, programs, images, log):
    existing = LandingPage.objects.filter(slug="explore").first()
    if existing:
        return existing
    about = list(StandardPage.objects.filter(slug="about")[:1]) or [home]
    page = LandingPage(
        title="Explore Learnhub",
        slug="explore",
        introduction="Courses, programs and media from many institutions, curated by our editors.",
        search_description="Editors' picks, free courses and programs from the Learnhub catalogue.",
        hero_image=images[0],
        hero_cta_label="Browse the catalogue",
        hero_cta_url="/catalog/",
        body=every_block_body(resources, programs, images, about),
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    log("Created the landing page /explore/ (every block).")
    return page


def ensure_program_pages(parent, programs, log):
    created = []
    for program in programs[:2]:
        if ProgramPage.objects.filter(program=program).exists():
            continue
        page = ProgramPage(
            title=program.title,
            slug=program.slug[:200],
            program=program,
            introduction=(program.description or "").replace("<p>", "").replace("</p>", "")[:500],
            outcomes=[
                {"type": "outcome", "value": "Apply the core methods of the field to real problems."},
                {"type": "outcome", "value": "Build a portfolio of projects you can show employers."},
                {"type": "outcome", "value": "Earn a credential recognised by industry."},
            ],
            audience="<p>Working professionals and graduate students who want a structured path.</p>",
            faq=[
                {
                    "type": "question",
                    "value": {
                        "question": "How long does it take?",
                        "answer": "<p>Most learners finish in six to twelve months.</p>",
                    },
                },
                {
                    "type": "question",
                    "value": {
                        "question": "Can I take one course only?",
                        "answer": "<p>Yes: every course can be taken on its own.</p>",
                    },
                },
            ],
            call_to_action=[
                {
                    "type": "call_to_action",
                    "value": {
                        "heading": "Enrol in the program",
                        "text": "Enrolment is handled by the program's provider.",
                        "button_label": "Enrol now",
                        "link": {"page": None, "resource": program.pk, "url": ""},
                        "style": "primary",
                    },
                }
            ],
            search_description=f"{program.title}: courses, outcomes, prices and instructors.",
        )
        parent.add_child(instance=page)
        page.save_revision().publish()
        created.append(page)
        log(f"Created the program page /{page.slug}/ for {program.title!r}.")
    return created


def ensure_navigation(home, log):
    from cms.models import NavigationMenuItem

    if not NavigationMenu.objects.filter(location="main").exists():
        menu = NavigationMenu.objects.create(location="main")
        explore = LandingPage.objects.filter(slug="explore").first()
        items = [NavigationMenuItem(menu=menu, label="Catalogue", link_url="/catalog/", sort_order=0)]
        if explore:
            items.append(NavigationMenuItem(menu=menu, label="Explore", link_page=explore, sort_order=1))
        items += [
            NavigationMenuItem(menu=menu, label="News", link_url="/news/", sort_order=2),
            NavigationMenuItem(menu=menu, label="Search", link_url="/search/", sort_order=3),
        ]
        NavigationMenuItem.objects.bulk_create(items)
        log("Created the main navigation.")
    if not NavigationMenu.objects.filter(location="footer").exists():
        menu = NavigationMenu.objects.create(location="footer", title="About")
        pages = StandardPage.objects.live().filter(slug__in=["about", "accessibility", "privacy"]).order_by("path")
        NavigationMenuItem.objects.bulk_create(
            [NavigationMenuItem(menu=menu, link_page=page, sort_order=i) for i, page in enumerate(pages)]
        )
        log("Created the footer navigation.")
    from cms.models.snippets import clear_navigation_cache

    clear_navigation_cache()


def ensure_site_settings(log):
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    site_settings, created = SiteSettings.objects.get_or_create(
        site=site,
        defaults={
            "site_name": settings.WAGTAIL_SITE_NAME,
            "footer_text": "Open learning content from many sources, curated by editors.",
            "github_url": "https://github.com/",
        },
    )
    if created:
        log("Created the site settings.")


def load_pages(log) -> None:
    """The landing page (every block), two program pages, navigation and settings; needs the demo catalogue."""
    from catalog.models import LearningResource, ResourceType

    with transaction.atomic():
        home = ensure_home_page(log)
        ensure_demo_embed()
        public = LearningResource.objects.public().order_by("-featured", "-view_count", "title")
        resources = list(public.filter(resource_type=ResourceType.COURSE).prefetch_related("topics")[:6])
        programs = list(public.filter(resource_type=ResourceType.PROGRAM)[:3])
        if not resources:
            log("No public courses in the catalogue yet: run catalog.demo.load_catalog first for richer pages.")
        images = [demo_image("Demo hero", (163, 31, 52), log), demo_image("Demo portrait", (9, 105, 218), log)]
        ensure_landing_page(home, resources, programs, images, log)
        ensure_home_sections(home, log)
        if programs:
            ensure_program_pages(home, programs, log)
        else:
            log("No demo programs in the catalogue: program pages skipped.")
        ensure_navigation(home, log)
        ensure_site_settings(log)
