"""The shared block set: every block renders, previews, serialises; catalogue blocks follow the catalogue."""

import re

from django.urls import reverse

from wagtail import blocks as wagtail_blocks
from wagtail.blocks import StreamValue
from wagtail.blocks.struct_block import StructBlockValidationError

import pytest

from catalog.factories import CourseFactory, ProgramFactory, TopicFactory
from catalog.models import LearningResource
from cms.blocks import BaseStreamBlock, ResourceQueryBlock, base_stream_children, prefetch_stream
from cms.blocks.content import LinkBlock
from cms.blocks.panels import catalogue_problems
from tests.cms.factories import LandingPageFactory, block, every_block_body, item

pytestmark = pytest.mark.django_db


def stream(raw):
    return StreamValue(BaseStreamBlock(), raw, is_lazy=True)


def all_struct_blocks():
    """Every StructBlock reachable from the block set, with the path that reaches it."""
    found = {}

    def walk(name, current):
        if isinstance(current, wagtail_blocks.StructBlock):
            found[type(current).__name__] = (name, current)
        children = getattr(current, "child_blocks", None) or {}
        for child_name, child in children.items():
            walk(f"{name}.{child_name}", child)
        if isinstance(current, wagtail_blocks.ListBlock):
            walk(f"{name}[]", current.child_block)

    for name, child in base_stream_children():
        walk(name, child)
    return found


def test_block_set_has_every_block_of_the_issue():
    names = [name for name, _ in base_stream_children()]
    for expected in (
        "heading",
        "rich_text",
        "image",
        "call_to_action",
        "quote",
        "statistics",
        "faq",
        "embed",
        "resource_list",
        "resource_query",
        "program_list",
        "card_grid",
    ):
        assert expected in names


def test_every_struct_block_has_template_icon_description_and_preview_value():
    structs = all_struct_blocks()
    assert len(structs) >= 15
    for class_name, (path, struct) in structs.items():
        meta = struct.meta
        assert getattr(meta, "template", None), f"{class_name} ({path}) has no template"
        assert meta.icon and meta.icon != "placeholder", f"{class_name} ({path}) has no icon"
        assert struct.get_description(), f"{class_name} ({path}) has no description"
        assert hasattr(meta, "preview_value"), f"{class_name} ({path}) has no preview_value"
        assert struct.is_previewable, f"{class_name} is not previewable"


def test_admin_block_previews_render(admin_client, courses, image):
    for _name, child in base_stream_children():
        response = admin_client.get(reverse("wagtailadmin_block_preview") + f"?id={child.definition_prefix}")
        assert response.status_code == 200, child
        html = response.content.decode()
        assert "/static/css/site.css" in html
    # The resource list preview shows real catalogue resources.
    list_block = dict(base_stream_children())["resource_list"]
    response = admin_client.get(reverse("wagtailadmin_block_preview") + f"?id={list_block.definition_prefix}")
    assert "Course A" in response.content.decode()


def test_every_block_renders(courses, image, stored_embed, home):
    program = ProgramFactory(title="Data Program", children=courses[:2])
    raw = every_block_body(resources=courses, programs=[program], image=image, page=home)
    html = stream(raw).render_as_block()
    for text in (
        'id="section"',
        "<b>rich</b>",
        "A caption",
        'href="/catalog/"',
        "Learning is fun.",
        "42",
        "<summary>Is it free?</summary>",
        "youtube-nocookie.com/embed/test123",
        "Picked resources",
        "Course A",
        "Query results",
        "Data Program",
        "Card to a page",
        f'href="{home.url}"',
    ):
        assert text in html, text


def test_stream_prefetch_loads_everything_in_a_few_queries(courses, image, home, django_assert_max_num_queries):
    program = ProgramFactory(children=courses)
    more = [CourseFactory() for _ in range(20)]
    raw = every_block_body(resources=courses + more, programs=[program], image=image, page=home)
    stream(raw).render_as_block()  # makes the renditions once
    value = stream(raw)
    # ids for the query block, resources, images, renditions, pages
    with django_assert_max_num_queries(5):
        prefetch_stream(value)
    with django_assert_max_num_queries(1):  # the embed lookup only
        value.render_as_block()


def test_resource_list_leaves_out_unpublished_hidden_and_deleted_resources(courses, rf):
    gone = CourseFactory(title="Deleted Course")
    gone_id = gone.pk
    gone.delete()
    LearningResource.objects.filter(pk=courses[1].pk).update(published=False)
    LearningResource.objects.filter(pk=courses[2].pk).update(hidden=True)
    raw = [
        block(
            "resource_list",
            {
                "heading": "Picks",
                "introduction": "",
                "resources": [item(courses[0].pk), item(courses[1].pk), item(courses[2].pk), item(gone_id)],
                "layout": "list",
            },
        )
    ]
    html = stream(raw).render_as_block()
    assert "Course A" in html
    assert "Course B" not in html and "Course C" not in html
    assert "Only editors see this" not in html
    request = rf.get("/")
    request.is_preview = True
    preview_html = stream(raw).render_as_block(context={"request": request})
    assert "Only editors see this" in preview_html
    assert "“Course B” is unpublished at its source." in preview_html
    assert "“Course C” is hidden by an editor." in preview_html
    assert "A chosen resource no longer exists in the catalogue." in preview_html
    # The API representation leaves them out too.
    api = BaseStreamBlock().get_api_representation(stream(raw), context={"request": request})
    assert [r["title"] for r in api[0]["value"]["resources"]] == ["Course A"]


def test_editor_panel_lists_resources_learners_cant_see(courses, home):
    LearningResource.objects.filter(pk=courses[1].pk).update(published=False)
    page = LandingPageFactory(
        parent=home,
        body=[
            block(
                "resource_list",
                {
                    "heading": "",
                    "introduction": "",
                    "resources": [item(courses[0].pk), item(courses[1].pk), item(987654)],
                    "layout": "cards",
                },
            )
        ],
    )
    problems = [str(problem) for problem in catalogue_problems(page)]
    assert any("Course B" in problem and "unpublished" in problem for problem in problems)
    assert any("#987654 was deleted" in problem for problem in problems)
    assert not any("Course A" in problem for problem in problems)


def test_editor_panel_shows_in_the_page_editor(admin_client, courses, home):
    LearningResource.objects.filter(pk=courses[0].pk).update(hidden=True)
    page = LandingPageFactory(
        parent=home,
        body=[
            block(
                "resource_list",
                {"heading": "", "introduction": "", "resources": [item(courses[0].pk)], "layout": "cards"},
            )
        ],
    )
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert "learners can&#x27;t see" in html or "learners can't see" in html
    assert "“Course A” is hidden by an editor" in html


def test_resource_query_follows_catalogue_changes():
    python = TopicFactory(name="Python")
    first = CourseFactory(title="Python One", topics=[python], free=True)
    CourseFactory(title="Paid Python", topics=[python], paid=True)
    CourseFactory(title="Other Topic")
    raw = [
        block(
            "resource_query",
            {
                "heading": "Python",
                "resource_type": "course",
                "topic": "python",
                "offeror": "",
                "free_only": True,
                "upcoming_only": False,
                "ordering": "title",
                "count": 5,
            },
        )
    ]
    html = stream(raw).render_as_block()
    assert "Python One" in html and "Paid Python" not in html and "Other Topic" not in html
    CourseFactory(title="Python Two", topics=[python], free=True)
    LearningResource.objects.filter(pk=first.pk).update(published=False)
    html = stream(raw).render_as_block()
    assert "Python Two" in html and "Python One" not in html
    LearningResource.objects.filter(topics=python).update(published=False)
    assert "Nothing in the catalogue matches right now." in stream(raw).render_as_block()


def test_resource_query_filters_upcoming_offeror_and_count():
    from catalog.factories import OfferorFactory

    ocw = OfferorFactory(code="ocw", name="OCW")
    soon = CourseFactory(title="Soon", runs=1, offered_by=ocw)
    CourseFactory(title="No runs", offered_by=ocw)
    CourseFactory(title="Elsewhere", runs=1)
    ids = ResourceQueryBlock.query_ids({"offeror": "ocw", "upcoming_only": True, "count": 10})
    assert ids == [soon.pk]
    CourseFactory.create_batch(5)
    assert len(ResourceQueryBlock.query_ids({"resource_type": "course", "count": 3})) == 3


def test_resource_query_see_all_opens_the_catalogue_with_the_same_filters(client):
    """The "See all" link uses the catalogue's own parameters: it lists what the block's filters select."""
    from catalog.factories import OfferorFactory, VideoFactory

    ocw = OfferorFactory(code="ocw", name="OCW")
    robots = TopicFactory(name="Robots", slug="robots")
    VideoFactory(title="Free robot video", topics=[robots], offered_by=ocw, free=True)
    CourseFactory(title="Free robot course", topics=[robots], offered_by=ocw, free=True)
    VideoFactory(title="Paid robot video", topics=[robots], offered_by=ocw, free=False)
    VideoFactory(title="Free other video", offered_by=ocw, free=True)
    raw = [
        block(
            "resource_query",
            {"heading": "Robots", "resource_type": "video", "topic": "robots", "offeror": "ocw", "free_only": True,
             "upcoming_only": False, "ordering": "title", "count": 5},
        )
    ]  # fmt: skip
    html = stream(raw).render_as_block()
    href = re.search(r'<a href="([^"]+)">See all</a>', html).group(1).replace("&amp;", "&")

    listing = client.get(href).content.decode()

    assert "Free robot video" in listing
    for other in ("Free robot course", "Paid robot video", "Free other video"):
        assert other not in listing, (href, other)


def test_link_block_accepts_exactly_one_target(home):
    link = LinkBlock()
    assert link.clean(link.to_python({"page": None, "resource": None, "url": "/catalog/"}))["url"] == "/catalog/"
    with pytest.raises(StructBlockValidationError) as several:
        link.clean(link.to_python({"page": home.pk, "resource": None, "url": "/x/"}))
    assert "not several" in str(several.value.block_errors["url"])
    with pytest.raises(StructBlockValidationError) as bad_url:
        link.clean(link.to_python({"page": None, "resource": None, "url": "javascript:alert(1)"}))
    assert "https://" in str(bad_url.value.block_errors["url"])


def test_link_to_draft_page_renders_no_link(home):
    draft = LandingPageFactory(parent=home, live=False, title="Draft page")
    raw = [
        block(
            "call_to_action",
            {
                "heading": "Go",
                "text": "",
                "button_label": "Draft",
                "link": {"page": draft.pk, "resource": None, "url": ""},
                "style": "primary",
            },
        )
    ]
    html = stream(raw).render_as_block()
    assert "Go" in html
    assert "Draft</a>" not in html


def test_resource_chooser_searches_and_filters_by_type(admin_client):
    CourseFactory(title="Linear Algebra")
    ProgramFactory(title="Linear Systems Program")
    CourseFactory(title="Hidden Algebra", hidden=True)
    choose = reverse("resource_chooser:choose")
    html = admin_client.get(choose).content.decode()
    assert "Linear Algebra" in html and "Linear Systems Program" in html
    assert "Hidden Algebra" not in html
    results = reverse("resource_chooser:choose_results")
    html = admin_client.get(results, {"q": "linear", "resource_type": "program"}).content.decode()
    assert "Linear Systems Program" in html and "Linear Algebra" not in html
    html = admin_client.get(results, {"q": "algebra", "include_unpublished": "on"}).content.decode()
    assert "Hidden Algebra" in html and "Hidden by an editor" in html
    # "All types" is the empty choice: the search form sends `resource_type=`, which must not filter.
    html = admin_client.get(results, {"q": "linear", "resource_type": ""}).content.decode()
    assert "Linear Systems Program" in html and "Linear Algebra" in html
    html = admin_client.get(choose, {"q": "algebra", "resource_type": ""}).content.decode()
    assert "Linear Algebra" in html
    chosen = admin_client.get(
        reverse("resource_chooser:chosen", args=[LearningResource.objects.get(title="Linear Algebra").pk])
    )
    assert chosen.status_code == 200 and "Linear Algebra" in chosen.content.decode()


def test_resource_chooser_is_for_editors_only(client):
    response = client.get(reverse("resource_chooser:choose"))
    assert response.status_code in (302, 403)
