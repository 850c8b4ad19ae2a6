"""Page types: created through the admin, rendered server-side with bounded queries, demo content."""

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

import pytest

from catalog.factories import CourseFactory, ProgramFactory, RunFactory
from catalog.models import LearningResource
from cms.demo import ensure_demo_embed, ensure_home_page
from cms.models import HomePage, LandingPage, ProgramPage, ProgramPageCourse, StandardPage
from tests.cms.factories import (
    ImageFactory,
    LandingPageFactory,
    ProgramPageFactory,
    StandardPageFactory,
    every_block_body,
)

pytestmark = pytest.mark.django_db


class PageTypesTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.home = ensure_home_page(lambda message: None)
        cls.course = CourseFactory(title="Admin Course")
        cls.program = ProgramFactory(title="Admin Program", children=[cls.course])

    def setUp(self):
        self.login()

    def test_parent_and_subpage_types(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertAllowedParentPageTypes(LandingPage, {HomePage, LandingPage})
        self.assertAllowedParentPageTypes(ProgramPage, {HomePage, LandingPage})
        self.assertAllowedParentPageTypes(StandardPage, {HomePage, StandardPage, LandingPage, ProgramPage})
        self.assertAllowedSubpageTypes(ProgramPage, {StandardPage})
        self.assertCanNotCreateAt(StandardPage, LandingPage)
        self.assertCanNotCreateAt(HomePage, HomePage)

    def test_every_page_type_declares_panels_search_and_api_fields(self):
        for model in (HomePage, LandingPage, ProgramPage, StandardPage):
            assert model.parent_page_types and model.subpage_types is not None, model
            assert model.content_panels and model.search_fields and model.api_fields, model
            assert "listing_summary" in [field.name for field in model.api_fields]

    def test_create_landing_page_with_blocks(self):
        self.assertCanCreate(
            self.home,
            LandingPage,
            nested_form_data(
                {
                    "title": "Spring campaign",
                    "slug": "spring",
                    "introduction": "Learn this spring.",
                    "hero_cta_label": "Go",
                    "hero_cta_url": "/catalog/",
                    "body": streamfield(
                        [
                            ("heading", {"text": "Hello", "level": "h2", "anchor": ""}),
                            ("rich_text", rich_text("<p>Some text</p>")),
                            (
                                "resource_list",
                                {
                                    "heading": "Picks",
                                    "introduction": "",
                                    "resources": streamfield([("item", self.course.pk)]),
                                    "layout": "cards",
                                },
                            ),
                            (
                                "resource_query",
                                {
                                    "heading": "Free",
                                    "resource_type": "course",
                                    "topic": "",
                                    "offeror": "",
                                    "free_only": "on",
                                    "ordering": "title",
                                    "count": "4",
                                },
                            ),
                            (
                                "call_to_action",
                                {
                                    "heading": "Go",
                                    "text": "",
                                    "button_label": "Browse",
                                    "link": {"page": "", "resource": "", "url": "/catalog/"},
                                    "style": "primary",
                                },
                            ),
                        ]
                    ),
                }
            ),
        )
        page = LandingPage.objects.get(slug="spring")
        assert [child.block_type for child in page.body] == [
            "heading",
            "rich_text",
            "resource_list",
            "resource_query",
            "call_to_action",
        ]
        assert page.body[2].value["resources"][0] == self.course

    def test_create_program_page_with_courses(self):
        self.assertCanCreate(
            self.home,
            ProgramPage,
            nested_form_data(
                {
                    "title": "Curated program",
                    "slug": "curated",
                    "program": self.program.pk,
                    "introduction": "Intro",
                    "course_links": inline_formset([{"resource": self.course.pk}]),
                    "outcomes": streamfield([("outcome", "Build things")]),
                    "audience": rich_text("<p>Everyone</p>"),
                    "certificate": "",
                    "faq": streamfield([("question", {"question": "Q?", "answer": rich_text("<p>A.</p>")})]),
                    "call_to_action": streamfield([]),
                    "body": streamfield([]),
                }
            ),
        )
        page = ProgramPage.objects.get(slug="curated")
        assert page.program == self.program
        assert [link.resource for link in page.course_links.all()] == [self.course]

    def test_create_standard_page(self):
        self.assertCanCreate(
            self.home,
            StandardPage,
            nested_form_data(
                {"title": "Contact", "slug": "contact", "introduction": "", "body": rich_text("<p>Hi</p>")}
            ),
        )

    def test_every_page_type_is_previewable(self):
        landing = LandingPageFactory(parent=self.home, body=[])
        program = ProgramPageFactory(parent=self.home, program=self.program)
        standard = StandardPageFactory(parent=self.home)
        # StreamFields render in JavaScript, so their form data can't be read from the edit view's HTML.
        base = {"introduction": "Intro", "hero_cta_label": "", "hero_cta_url": "", "body": streamfield([])}
        posts = {
            self.home: {**base, "title": self.home.title, "slug": self.home.slug},
            landing: {**base, "title": landing.title, "slug": landing.slug},
            program: {
                "title": program.title,
                "slug": program.slug,
                "program": self.program.pk,
                "introduction": "",
                "course_links": inline_formset([]),
                "outcomes": streamfield([]),
                "audience": rich_text(""),
                "certificate": "",
                "faq": streamfield([]),
                "call_to_action": streamfield([]),
                "body": streamfield([]),
            },
        }
        for page, data in posts.items():
            self.assertPageIsPreviewable(page, post_data=nested_form_data(data))
        self.assertPageIsPreviewable(standard)

    def test_every_page_type_is_routable_and_renders(self):
        landing = LandingPageFactory(parent=self.home, body=[])
        program = ProgramPageFactory(parent=self.home, program=self.program)
        standard = StandardPageFactory(parent=self.home)
        for page in (self.home, landing, program, standard):
            self.assertPageIsRoutable(page)
            self.assertPageIsRenderable(page)


@pytest.fixture
def landing_with_every_block(home):
    def build(catalogue_size):
        from catalog.factories import make_catalogue

        made = make_catalogue(catalogue_size)
        image = ImageFactory()
        ensure_demo_embed("https://www.youtube.com/watch?v=test123", "<iframe title='v'></iframe>")
        about = StandardPageFactory(parent=home, slug="about-us")
        courses = [r for r in made["resources"] if r.resource_type == "course"]
        body = every_block_body(
            resources=courses[:4] + made["hidden"], programs=made["programs"], image=image, page=about
        )
        return LandingPageFactory(parent=home, slug="every-block", body=body, hero_image=image, social_image=image)

    return build


@pytest.mark.parametrize("catalogue_size", [10, 200])
def test_landing_page_with_every_block_runs_at_most_12_queries(
    client, landing_with_every_block, catalogue_size, django_assert_max_num_queries
):
    page = landing_with_every_block(catalogue_size)
    first = client.get(page.url)  # warms Wagtail's site-root cache, the menus cache and the image renditions
    assert first.status_code == 200
    with django_assert_max_num_queries(12):
        response = client.get(page.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Section heading" in html and "Picked resources" in html and "Query results" in html
    assert "Unpublished Course" not in html and "Hidden Course" not in html


@pytest.mark.parametrize("catalogue_size", [10, 200])
def test_page_types_have_bounded_queries(client, home, catalogue_size, django_assert_max_num_queries):
    from catalog.factories import make_catalogue

    made = make_catalogue(catalogue_size)
    program_page = ProgramPageFactory(parent=home, program=made["programs"][0])
    standard = StandardPageFactory(parent=home)
    # The content cache off (test settings); with it on, every public page type: tests/cms/test_content_cache.py.
    for page, limit in ((home, 12), (program_page, 13), (standard, 7)):
        client.get(page.url)
        with django_assert_max_num_queries(limit):
            assert client.get(page.url).status_code == 200


def test_program_page_shows_catalogue_courses_prices_and_instructors(client, home):
    first = CourseFactory(title="First Course", instructors=["Ana Bell"])
    second = CourseFactory(title="Second Course", instructors=["Eric Grimson"])
    hidden = CourseFactory(title="Hidden Course", hidden=True)
    program = ProgramFactory(
        title="Linked Program", children=[second, first, hidden], certified=True, instructors=["Ana Bell"]
    )
    RunFactory(resource=program, prices=[{"amount": "300.00", "currency": "USD", "label": "Full program"}])
    page = ProgramPageFactory(parent=home, program=program, certificate="")
    html = client.get(page.url).content.decode()
    assert html.index("Second Course") < html.index("First Course")
    assert "Hidden Course" not in html
    assert "300.00 USD (Full program)" in html
    assert "Certificate of completion" in html
    assert "Ana Bell" in html and "Eric Grimson" in html
    assert page.instructor_names() == ["Ana Bell", "Eric Grimson"]


def test_program_page_course_list_overrides_and_survives_deleted_courses(client, home):
    program = ProgramFactory(children=[CourseFactory(title="Catalogue Course")])
    chosen = CourseFactory(title="Chosen Course")
    doomed = CourseFactory(title="Doomed Course")
    page = ProgramPageFactory(parent=home, program=program)
    ProgramPageCourse.objects.create(page=page, resource=doomed, sort_order=0)
    ProgramPageCourse.objects.create(page=page, resource=chosen, sort_order=1)
    doomed.delete()
    html = client.get(page.url).content.decode()
    assert "Chosen Course" in html
    assert "Catalogue Course" not in html and "Doomed Course" not in html


def test_program_page_renders_when_its_program_is_unpublished(client, home):
    program = ProgramFactory(title="Gone Program", children=[CourseFactory(title="Its Course")])
    page = ProgramPageFactory(parent=home, program=program, title="Still here")
    LearningResource.objects.filter(pk=program.pk).update(published=False)
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Still here" in html and "Its Course" not in html


def test_draft_pages_are_not_served(client, home):
    draft = LandingPageFactory(parent=home, live=False, slug="draft")
    assert client.get("/draft/").status_code == 404
    assert draft.pk


def test_news_index_pages_may_live_under_the_home_page():
    news_models = pytest.importorskip("news.models")
    allowed = HomePage.clean_subpage_models()
    for name in ("NewsIndexPage", "EventsIndexPage"):
        model = getattr(news_models, name, None)
        if model is not None:
            assert model in allowed
