"""The catalogue's editor admin: listing, filters, search, field locks, inspect, CSV export, dashboard, access."""

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

from django import forms
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from wagtail.admin.forms import WagtailAdminModelForm

import pytest

from catalog.admin.dashboard import catalogue_counts
from catalog.factories import (
    ContentFileFactory,
    CourseFactory,
    OfferorFactory,
    PlatformFactory,
    PodcastEpisodeFactory,
    PodcastFactory,
    ProgramFactory,
    RunFactory,
    TopicFactory,
    VideoFactory,
)
from catalog.models import Department, Instructor, LearningResource, Offeror, Platform, SourceSnapshot, Topic
from catalog.signals import resources_changed

pytestmark = pytest.mark.django_db

INDEX = "/admin/catalogue/resources/"


def edit_url(resource):
    return f"/admin/catalogue/resources/edit/{resource.pk}/"


def inspect_url(resource):
    return f"/admin/catalogue/resources/inspect/{resource.pk}/"


@pytest.fixture(autouse=True)
def no_seeded_lookups(db):
    """Start from empty lookup tables so that the seeded defaults don't change what the tests count."""
    for model in (Topic, Offeror, Platform, Department):
        model.objects.all().delete()


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return client


def listed(response) -> set[str]:
    return {resource.title for resource in response.context["object_list"]}


def form_data(response, **changes) -> dict:
    """The POST data an editor's browser sends for the edit form as rendered, with `changes` applied.

    A change of `None` (or False for a checkbox) leaves the field out, as an unticked checkbox is left out.
    """
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[name] = "" if value is None else str(getattr(value, "pk", value))
    for name, value in changes.items():
        if value is None or value is False:
            data.pop(name, None)
        elif value is True:
            data[name] = "on"
        else:
            data[name] = value
    return data


def post_edit(client, resource, **changes):
    response = client.get(edit_url(resource))
    assert response.status_code == 200
    return client.post(edit_url(resource), form_data(response, **changes))


@pytest.fixture
def catalogue():
    """A small catalogue where each filter picks out something different."""
    mitx, ocw = OfferorFactory(code="mitx", name="MITx"), OfferorFactory(code="ocw", name="OpenCourseWare")
    edx, youtube = PlatformFactory(code="edx", name="edX"), PlatformFactory(code="youtube", name="YouTube")
    science = TopicFactory(name="Science", slug="science")
    physics = TopicFactory(name="Physics", slug="physics", parent=science)
    art = TopicFactory(name="Art", slug="art")
    items = {
        "python": CourseFactory(
            title="Introduction to Python", source="mitxonline", offered_by=mitx, platform=edx, topics=[art]
        ),
        "mechanics": CourseFactory(
            title="Classical Mechanics",
            source="ocw",
            source_id="8.01",
            offered_by=ocw,
            platform=edx,
            topics=[physics],
            description="<p>Newton's laws and rotational dynamics.</p>",
        ),
        "cosmos": VideoFactory(title="Cosmos explained", source="youtube", offered_by=ocw, platform=youtube),
        "hidden": CourseFactory(title="Hidden course", source="ocw", offered_by=ocw, platform=edx, hidden=True),
        "retired": CourseFactory(title="Retired course", source="mitxonline", offered_by=mitx, published=False),
        "featured": PodcastFactory(title="Featured podcast", source="podcasts", offered_by=mitx, featured=True),
    }
    LearningResource.objects.filter(pk=items["python"].pk).update(locked_fields=["title", "topics"])
    return items


# --- Listing, filters, search ---------------------------------------------------------------------------


def test_listing_shows_columns_and_status(admin_client, catalogue):
    response = admin_client.get(INDEX)

    assert response.status_code == 200
    assert listed(response) == {r.title for r in catalogue.values()}
    html = response.content.decode()
    for heading in ("Title", "Resource type", "Source", "Offered by", "Status", "Locked", "Next start date"):
        assert heading in html
    assert "Hidden" in html and "Unpublished" in html and "Featured" in html
    assert 'title="title, topics">2<' in html  # locked-field count with the names on hover


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"resource_type__exact": "video"}, {"cosmos"}),
        ({"resource_type__exact": "podcast"}, {"featured"}),
        ({"offered_by__id__exact": "ocw"}, {"mechanics", "cosmos", "hidden"}),
        ({"platform__id__exact": "youtube"}, {"cosmos"}),
        ({"topic": "physics"}, {"mechanics"}),
        ({"topic": "science"}, {"mechanics"}),  # a topic includes its sub-topics
        ({"topic": "art"}, {"python"}),
        ({"published__exact": "0"}, {"retired", "hidden"}),  # a hidden resource is unpublished
        ({"hidden__exact": "1"}, {"hidden"}),
        ({"featured__exact": "1"}, {"featured"}),
        ({"source": "mitxonline"}, {"python", "retired"}),
        ({"locked": "yes"}, {"python"}),
        ({"locked": "no"}, {"mechanics", "cosmos", "hidden", "retired", "featured"}),
        ({"source": "ocw", "hidden__exact": "0"}, {"mechanics"}),
    ],
)
def test_each_filter_narrows_the_listing(admin_client, catalogue, params, expected):
    lookups = {
        "offered_by__id__exact": lambda code: Offeror.objects.get(code=code).pk,
        "platform__id__exact": lambda code: LearningResource.objects.filter(platform__code=code).first().platform_id,
        "topic": lambda slug: Topic.objects.get(slug=slug).pk,
    }
    query = {key: lookups[key](value) if key in lookups else value for key, value in params.items()}

    response = admin_client.get(INDEX, query)

    assert response.status_code == 200
    assert listed(response) == {catalogue[key].title for key in expected}


def test_filter_sidebar_offers_the_filters(admin_client, catalogue):
    html = admin_client.get(INDEX).content.decode()

    for title in ("resource type", "offered by", "platform", "topic", "published", "hidden", "source", "locked fields"):
        assert f"By {title}" in html
    assert "\u2003Physics" in html  # sub-topics are indented under their parent


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("python", {"python"}),
        ("8.01", {"mechanics"}),  # source_id
        ("rotational", {"mechanics"}),  # description
        ("course", {"hidden", "retired"}),
        ("no-such-thing", set()),
    ],
)
def test_search_matches_title_source_id_and_description(admin_client, catalogue, query, expected):
    response = admin_client.get(INDEX, {"q": query})

    assert listed(response) == {catalogue[key].title for key in expected}


def test_ordering_by_a_column(admin_client, catalogue):
    response = admin_client.get(INDEX, {"o": "-0"})  # title, descending

    titles = [resource.title for resource in response.context["object_list"]]
    assert titles == sorted(titles, reverse=True)


def _make_resources(count):
    """`count` courses over three offerors, every other one in the topic Python (bulk-created: fast)."""
    offerors = [OfferorFactory(code=f"o{i}") for i in range(3)]
    python = TopicFactory(name="Python", slug="python")
    resources = LearningResource.objects.bulk_create(
        CourseFactory.build(offered_by=offerors[index % 3], platform=None, locked_fields=["title"] * (index % 3 == 0))
        for index in range(count)
    )
    if any(resource.pk is None for resource in resources):
        resources = list(LearningResource.objects.all())
    LearningResource.topics.through.objects.bulk_create(
        LearningResource.topics.through(learningresource_id=resource.pk, topic_id=python.pk)
        for index, resource in enumerate(resources)
        if index % 2
    )


@pytest.mark.parametrize("count", [10, 200])
def test_listing_query_count_does_not_grow_with_the_catalogue(admin_client, count, django_assert_max_num_queries):
    _make_resources(count)
    admin_client.get(INDEX)  # warm per-process caches (content types, site)

    with django_assert_max_num_queries(20):
        response = admin_client.get(INDEX, {"topic": Topic.objects.get(name="Python").pk, "q": "Resource"})
    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(count // 2, 50)


def _make_lookups(count):
    """`count` rows of every lookup (half the topics under the other half), bulk-created."""
    Topic.objects.bulk_create(Topic(name=f"Topic {i}", slug=f"topic-{i}") for i in range(count))
    topics = list(Topic.objects.filter(slug__startswith="topic-").order_by("pk"))
    for parent, child in zip(topics[: count // 2], topics[count // 2 :], strict=False):
        child.parent = parent
    Topic.objects.bulk_update(topics, ["parent"])
    Offeror.objects.bulk_create(Offeror(code=f"offeror-{i}", name=f"Offeror {i}") for i in range(count))
    Platform.objects.bulk_create(Platform(code=f"platform-{i}", name=f"Platform {i}") for i in range(count))
    Department.objects.bulk_create(Department(code=f"d{i}", name=f"Department {i}") for i in range(count))
    Instructor.objects.bulk_create(Instructor(full_name=f"Teacher {i}", last_name=str(i)) for i in range(count))


@pytest.mark.parametrize("count", [10, 200])
def test_inspect_and_edit_query_counts_do_not_grow_with_the_catalogue(
    admin_client, count, django_assert_max_num_queries
):
    _make_resources(count)
    _make_lookups(count)
    course = CourseFactory(topics=["Python"], departments=["6"], instructors=["Ana Bell", "Eric Grimson"], runs=2)
    ContentFileFactory.create_batch(3, resource=course)
    LearningResource.objects.filter(pk=course.pk).update(locked_fields=["title"], source_values={"title": "Source"})
    program = ProgramFactory(children=list(LearningResource.objects.filter(resource_type="course")))

    for resource in (course, program):
        admin_client.get(inspect_url(resource))  # warm per-process caches (content types, site)
        with django_assert_max_num_queries(18):
            assert admin_client.get(inspect_url(resource)).status_code == 200
        with django_assert_max_num_queries(21):
            response = admin_client.get(edit_url(resource))
        assert response.status_code == 200
        # 33: the save bumps the catalogue version for the browse counts (catalog.browse_counts).
        with django_assert_max_num_queries(33):
            saved = admin_client.post(edit_url(resource), form_data(response, title="Retitled"))
        assert saved.status_code == 302


@pytest.mark.parametrize("count", [10, 200])
def test_csv_export_query_count_does_not_grow_with_the_catalogue(admin_client, count, django_assert_max_num_queries):
    _make_resources(count)
    admin_client.get(INDEX)

    with django_assert_max_num_queries(9):
        rows = read_csv(admin_client.get(INDEX, {"export": "csv"}))  # the rows are read as they stream
    assert len(rows) == count
    assert sum(1 for row in rows if row["Topics"] == "Python") == count // 2


@pytest.mark.parametrize("count", [10, 200])
@pytest.mark.parametrize(
    ("path", "max_queries"),
    [("topics", 13), ("offerors", 10), ("platforms", 10), ("departments", 11), ("instructors", 10)],
)
def test_lookup_listing_query_counts_do_not_grow_with_the_catalogue(
    admin_client, count, path, max_queries, django_assert_max_num_queries
):
    _make_resources(count)
    _make_lookups(count)
    url = f"/admin/catalogue/{path}/"
    admin_client.get(url)

    with django_assert_max_num_queries(max_queries):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(response.context["object_list"]) >= min(count, 100)


# --- Edit with field locks ------------------------------------------------------------------------------


def test_saving_the_form_unchanged_locks_nothing(admin_client):
    course = CourseFactory(
        description="<p>Line one.\nLine two.</p>",
        topics=["Python"],
        departments=["6"],
        instructors=["Ana Bell", "Eric Grimson"],
        languages=["en", "es"],
        runs=1,
    )
    before = LearningResource.objects.get(pk=course.pk)

    response = post_edit(admin_client, course)

    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    course.refresh_from_db()
    assert course.locked_fields == []
    assert course.description == before.description
    assert course.languages == ["en", "es"]
    assert [link.instructor.full_name for link in course.instructor_links.select_related("instructor")] == [
        "Ana Bell",
        "Eric Grimson",
    ]


def test_editing_an_imported_field_locks_it(admin_client):
    course = CourseFactory(title="Imported title", topics=["Python"])
    python = Topic.objects.get(name="Python")
    data_topic = TopicFactory(name="Data Science", slug="data-science")

    response = post_edit(admin_client, course, title="Better title", topics=[str(python.pk), str(data_topic.pk)])

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "Better title"
    assert set(course.locked_fields) == {"title", "topics"}
    assert set(course.topics.values_list("name", flat=True)) == {"Python", "Data Science"}


def test_editor_only_fields_are_never_locked(admin_client):
    course = CourseFactory()

    post_edit(admin_client, course, featured=True, editorial_note="Promote in spring", hidden=True)

    course.refresh_from_db()
    assert course.featured and course.hidden and course.editorial_note == "Promote in spring"
    assert course.locked_fields == []


def test_explicit_lock_keeps_an_unchanged_value(admin_client):
    course = CourseFactory(level="introductory")

    post_edit(admin_client, course, lock__level=True)

    course.refresh_from_db()
    assert course.locked_fields == ["level"]
    assert course.level == "introductory"


def test_editing_instructors_keeps_their_order_and_locks_them(admin_client):
    course = CourseFactory(instructors=["Ana Bell"])

    post_edit(admin_client, course, instructor_names="Eric Grimson\nAna Bell\nJohn Guttag")

    course.refresh_from_db()
    links = course.instructor_links.select_related("instructor").order_by("position")
    assert [link.instructor.full_name for link in links] == ["Eric Grimson", "Ana Bell", "John Guttag"]
    assert course.locked_fields == ["instructors"]


def test_edited_html_is_sanitised(admin_client):
    course = CourseFactory()

    post_edit(admin_client, course, description='<p onclick="x()">Hi<script>alert(1)</script></p>')

    course.refresh_from_db()
    assert "script" not in course.description and "onclick" not in course.description
    assert "Hi" in course.description
    assert course.locked_fields == ["description"]


def test_bad_language_code_is_reported_on_the_field(admin_client):
    course = CourseFactory()

    response = post_edit(admin_client, course, languages="en, english!")

    assert response.status_code == 200
    assert "english!" in str(response.context["form"].errors["languages"])
    course.refresh_from_db()
    assert course.languages == ["en"]


def test_edit_page_shows_imported_and_locked_state_with_the_source_value(admin_client):
    course = CourseFactory(title="Editor title")
    LearningResource.objects.filter(pk=course.pk).update(
        locked_fields=["title"], source_values={"title": "Source title", "level": "introductory"}
    )

    html = admin_client.get(edit_url(course)).content.decode()

    title_box = html[html.index('data-lock-field="title"') :][:1200]
    assert "Locked" in title_box and "Source title" in title_box and "differs" in title_box
    assert 'name="lock__title"' in title_box and "checked" in title_box
    level_box = html[html.index('data-lock-field="level"') :][:600]
    assert "Imported" in level_box and "checked" not in level_box.split("</label>")[0]
    for editor_only in ("featured", "hidden", "editorial_note", "image"):
        assert f'data-lock-field="{editor_only}"' not in html
        assert f'name="lock__{editor_only}"' not in html


def test_unlocking_restores_the_source_values(admin_client):
    old = OfferorFactory(code="old", name="Old offeror")
    course = CourseFactory(title="Editor title", offered_by=old, topics=["Editor topic"], instructors=["Someone Else"])
    TopicFactory(name="Physics", slug="physics", parent=TopicFactory(name="Science", slug="science"))
    LearningResource.objects.filter(pk=course.pk).update(
        locked_fields=["title", "offered_by", "topics", "departments", "instructors", "level"],
        content_hash="abc",
        source_values={  # the shape the loader records: lookups by code, topics by path
            "title": "Source title",
            "offered_by": "mitx",
            "departments": ["18", "6"],
            "topics": ["Science > Physics", "Brand New Topic"],
            "instructors": ["Walter Lewin", "Ana Bell"],
            "level": "advanced",
        },
    )

    response = post_edit(
        admin_client,
        course,
        title="Ignored because unlocked",
        lock__title=False,
        lock__offered_by=False,
        lock__topics=False,
        lock__departments=False,
        lock__instructors=False,
    )

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "Source title"
    assert course.offered_by.code == "mitx"
    assert sorted(course.departments.values_list("code", flat=True)) == ["18", "6"]
    assert sorted(t.name for t in course.topics.all()) == ["Brand New Topic", "Physics"]
    assert course.topics.get(name="Physics").parent.name == "Science"
    links = course.instructor_links.select_related("instructor").order_by("position")
    assert [link.instructor.full_name for link in links] == ["Walter Lewin", "Ana Bell"]
    assert course.locked_fields == ["level"]  # still locked: its box stayed ticked
    assert course.level != "advanced"
    assert course.content_hash == ""  # the next import rewrites the row


class BrowserForm(HTMLParser):
    """The fields a browser would submit for the resource edit form as rendered (every control, as HTML says)."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str, str, bool]] = []  # (tag/type, name, value, checked)
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            kind = attrs.get("type", "text")
            self.fields.append((kind, name, attrs.get("value", "on" if kind == "checkbox" else ""), "checked" in attrs))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append(("select", self._select, attrs.get("value", ""), True))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append(("textarea", name, "", True))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            kind, name, value, checked = self.fields[-1]
            self.fields[-1] = (kind, name, value + data, checked)

    def submit(self, untick=(), **values) -> dict:
        """POST data with the first checkbox named in `untick` unticked, as a person unticks the box they see."""
        data, unticked = {}, set()
        for kind, name, value, checked in self.fields:
            if kind == "checkbox" and name in untick and name not in unticked:
                unticked.add(name)
                continue
            if kind in ("checkbox", "radio") and not checked:
                continue
            data.setdefault(name, []).append(values.get(name, value))
        return data


def test_each_lock_checkbox_is_rendered_once(admin_client):
    course = CourseFactory(title="Editor title")
    LearningResource.objects.filter(pk=course.pk).update(locked_fields=["title"], source_values={"title": "Src"})

    html = admin_client.get(edit_url(course)).content.decode()

    names = re.findall(r'<input[^>]*name="(lock__[a-z_]+)"', html)
    assert names and len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_unticking_the_visible_lock_box_unlocks_and_restores_the_source_value(admin_client):
    """The form as a browser submits it: every rendered control; the editor unticks the "Lock" box they see."""
    course = CourseFactory(title="Editor title")
    LearningResource.objects.filter(pk=course.pk).update(
        locked_fields=["title"], source_values={"title": "Source title"}
    )
    form = BrowserForm()
    form.feed(admin_client.get(edit_url(course)).content.decode())

    response = admin_client.post(edit_url(course), form.submit(untick={"lock__title"}), follow=True)

    course.refresh_from_db()
    assert course.locked_fields == []
    assert course.title == "Source title"
    shown = [str(m) for m in response.context["messages"]]
    assert any("Unlocked and restored from the source: Title" in m for m in shown), shown


def test_unlocking_without_a_recorded_source_value_keeps_the_value_until_the_next_import(admin_client):
    course = CourseFactory(title="Editor title")
    LearningResource.objects.filter(pk=course.pk).update(locked_fields=["title"], content_hash="abc")

    response = post_edit(admin_client, course, lock__title=False)

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "Editor title"
    assert course.locked_fields == []
    assert course.content_hash == ""


def test_a_lock_survives_a_reimport(admin_client):
    """Edit → locked; a re-import through the loader keeps the editor's value and records the source's."""
    course = CourseFactory(title="Imported title", source="demo-src", source_id="c1")
    post_edit(admin_client, course, title="Editor's title")
    course.refresh_from_db()
    assert course.locked_fields == ["title"]

    loader = pytest.importorskip("catalog.loader")
    record = {
        "resource_type": "course",
        "source_id": "c1",
        "title": "Source's new title",
        "description": "<p>New description.</p>",
        "url": "https://learn.example.org/c1/",
    }
    result = loader.load_resources("demo-src", [record], full_snapshot=False)

    assert not result.errors
    course.refresh_from_db()
    assert course.title == "Editor's title"
    assert course.source_values["title"] == "Source's new title"
    assert course.description == "<p>New description.</p>"  # an unlocked field follows the source


def test_save_tells_search_what_changed(admin_client, django_capture_on_commit_callbacks):
    public, hidden = CourseFactory(), CourseFactory()
    received = []

    def receiver(sender, changed_ids, removed_ids, **kwargs):
        received.append((list(changed_ids), list(removed_ids)))

    resources_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post_edit(admin_client, public, title="Renamed")
        with django_capture_on_commit_callbacks(execute=True):
            post_edit(admin_client, hidden, hidden=True)
    finally:
        resources_changed.disconnect(receiver)

    assert received == [([public.pk], []), ([], [hidden.pk])]


def published_by_the_source(html) -> str:
    """The read-only "Published by the source" value on the edit page."""
    panel = html[html.index("Published by the source") :]
    return re.search(r'class="w-field__textoutput"[^>]*>\s*([^<]*?)\s*<', panel).group(1)


def test_un_hiding_after_an_import_makes_the_resource_public_again(admin_client, django_capture_on_commit_callbacks):
    from catalog.loader import load_resources

    record = {"resource_type": "course", "source_id": "c1", "title": "Circuits", "url": "https://x.example.org/c1"}
    load_resources("src", [record])
    course = LearningResource.objects.get(source="src", source_id="c1")
    post_edit(admin_client, course, hidden=True)
    load_resources("src", [{**record, "title": "Circuits and Electronics"}])  # an import while it is hidden

    course.refresh_from_db()
    assert course.hidden and not course.published
    assert published_by_the_source(admin_client.get(edit_url(course)).content.decode()) == "Yes"
    received = []

    def receiver(sender, changed_ids, **kwargs):
        received.extend(changed_ids)

    resources_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_edit(admin_client, course, hidden=False)
    finally:
        resources_changed.disconnect(receiver)

    assert response.status_code == 302
    assert LearningResource.objects.public().filter(pk=course.pk, title="Circuits and Electronics").exists()
    assert received == [course.pk]  # search indexes it again
    assert admin_client.get(course.get_absolute_url()).status_code == 200


def test_un_hiding_keeps_a_resource_its_source_unpublished_unpublished(admin_client):
    course = CourseFactory(unpublished=True)

    post_edit(admin_client, course, hidden=True)
    post_edit(admin_client, course, hidden=False)

    course.refresh_from_db()
    assert not course.hidden and not course.published
    assert published_by_the_source(admin_client.get(edit_url(course)).content.decode()) == "No"


def test_resources_cannot_be_created_or_deleted_in_the_admin(admin_client):
    course = CourseFactory()

    html = admin_client.get(INDEX).content.decode()
    assert "/admin/catalogue/resources/create/" not in html
    assert f"/admin/catalogue/resources/delete/{course.pk}/" not in html
    # Wagtail answers a refused admin action with a redirect to the dashboard and an error message.
    assert admin_client.get("/admin/catalogue/resources/create/").status_code in (302, 403)
    assert admin_client.post(f"/admin/catalogue/resources/delete/{course.pk}/").status_code in (302, 403)
    assert LearningResource.objects.filter(pk=course.pk).exists()


# --- Inspect --------------------------------------------------------------------------------------------


def test_inspect_shows_runs_relations_content_files_and_source_values(admin_client):
    course = CourseFactory(title="Circuits", runs=[{"run_id": "2026_Fall", "semester": "Fall"}])
    RunFactory(resource=course, run_id="2027_Spring", prices=[{"amount": "149.00", "currency": "EUR", "label": "Pro"}])
    program = ProgramFactory(title="Electrical Engineering", children=[CourseFactory(title="Signals"), course])
    ContentFileFactory(resource=course, title="Lecture 1 notes", content="Ohm's law")
    ContentFileFactory(resource=course, title="Broken scan", content="", extraction_error="Tika: encrypted PDF")
    LearningResource.objects.filter(pk=course.pk).update(
        locked_fields=["title"], source_values={"title": "Circuits and Electronics"}
    )

    html = admin_client.get(inspect_url(course)).content.decode()

    assert "2026_Fall" in html and "2027_Spring" in html and "149.00 EUR (Pro)" in html
    assert "Electrical Engineering" in html  # part of the program
    assert "Lecture 1 notes" in html and "Yes (9 characters)" in html
    assert "Broken scan" in html and "Tika: encrypted PDF" in html
    locks = html[html.index('data-inspect="locks"') :]
    title_row = locks[locks.index('data-field="title"') :].split("</tr>")[0]
    assert "Locked" in title_row and "Circuits and Electronics" in title_row and "differs" in title_row

    program_html = admin_client.get(inspect_url(program)).content.decode()
    children = program_html[program_html.index('data-inspect="children"') :].split("</ol>")[0]
    assert children.index("Signals") < children.index("Circuits")


def test_inspect_shows_when_the_source_last_listed_the_resource(admin_client):
    course = CourseFactory(title="Circuits")
    snapshot_time = dt.datetime(2023, 5, 6, 7, 8, tzinfo=dt.UTC)
    LearningResource.objects.filter(pk=course.pk).update(
        in_source_snapshot=True, last_seen=dt.datetime(2019, 1, 2, tzinfo=dt.UTC)
    )
    SourceSnapshot.objects.create(source=course.source, loaded_at=snapshot_time)

    html = admin_client.get(inspect_url(course)).content.decode()

    last_seen = html[html.index("Last seen") :][:200]
    assert "2023" in last_seen and "2019" not in html
    LearningResource.objects.filter(pk=course.pk).update(in_source_snapshot=False)
    html = admin_client.get(inspect_url(course)).content.decode()
    assert "2019" in html[html.index("Last seen") :][:200]


def test_inspect_lists_a_podcasts_episodes_in_order(admin_client):
    episodes = [PodcastEpisodeFactory(title=f"Episode {n}") for n in (3, 1, 2)]
    podcast = PodcastFactory(children=episodes)

    html = admin_client.get(inspect_url(podcast)).content.decode()

    children = html[html.index('data-inspect="children"') :].split("</ol>")[0]
    assert children.index("Episode 3") < children.index("Episode 1") < children.index("Episode 2")


# --- CSV export -----------------------------------------------------------------------------------------


def read_csv(response):
    assert response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_export_follows_the_filters(admin_client, catalogue):
    response = admin_client.get(INDEX, {"export": "csv", "source": "ocw", "hidden__exact": "0"})

    assert response["Content-Type"].startswith("text/csv")
    assert "learning-resources.csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [row["Title"] for row in rows] == ["Classical Mechanics"]
    assert rows[0]["Source ID"] == "8.01" and rows[0]["Offeror"] == "ocw" and rows[0]["Topics"] == "Physics"


def test_csv_export_follows_search_and_lists_locks(admin_client, catalogue):
    rows = read_csv(admin_client.get(INDEX, {"export": "csv", "q": "python"}))

    assert [(row["Title"], row["Locked fields"]) for row in rows] == [("Introduction to Python", "title; topics")]


def test_csv_export_defuses_spreadsheet_formulas(admin_client):
    CourseFactory(title="=HYPERLINK(1)")

    rows = read_csv(admin_client.get(INDEX, {"export": "csv"}))

    assert rows[0]["Title"] == "'=HYPERLINK(1)"


# --- Dashboard ------------------------------------------------------------------------------------------


def test_dashboard_panel_counts_by_type_and_source(admin_client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = catalogue_counts()

    by_type = {row["key"]: (row["public"], row["total"]) for row in counts["by_type"]}
    by_source = {row["key"]: (row["public"], row["total"]) for row in counts["by_source"]}
    assert by_type == {"course": (2, 4), "video": (1, 1), "podcast": (1, 1)}
    assert by_source == {"mitxonline": (1, 2), "ocw": (1, 2), "youtube": (1, 1), "podcasts": (1, 1)}
    assert (counts["public"], counts["total"]) == (4, 6)

    html = admin_client.get("/admin/").content.decode()
    panel = html[html.index('data-catalogue-counts="type"') :]
    course_row = panel[panel.index('data-key="course"') :].split("</tr>")[0]
    assert "<td>2</td>" in course_row and "<td>4</td>" in course_row
    assert "Catalogue: 4 public of 6 resources" in html


# --- Lookups --------------------------------------------------------------------------------------------


def test_every_catalogue_listing_is_in_the_admin(admin_client, catalogue):
    for path in ("resources", "topics", "offerors", "platforms", "departments", "instructors"):
        assert admin_client.get(f"/admin/catalogue/{path}/").status_code == 200
    menu = admin_client.get("/admin/").content.decode()
    assert "Catalogue" in menu and "Learning resources" in menu


def test_topics_are_listed_as_a_tree(admin_client):
    science = TopicFactory(name="Science", slug="science")
    TopicFactory(name="Physics", slug="physics", parent=science)
    TopicFactory(name="Astronomy", slug="astronomy", parent=science)
    TopicFactory(name="Art", slug="art")
    TopicFactory(name="Zoology", slug="zoology")

    response = admin_client.get("/admin/catalogue/topics/")

    rows = [(topic.name, topic.tree_depth) for topic in response.context["object_list"]]
    assert rows == [("Art", 0), ("Science", 0), ("Astronomy", 1), ("Physics", 1), ("Zoology", 0)]
    assert "\u2003└ Physics" in response.content.decode()


def test_a_topics_parent_is_editable_but_not_into_a_cycle(admin_client):
    science = TopicFactory(name="Science", slug="science")
    physics = TopicFactory(name="Physics", slug="physics", parent=science)
    art = TopicFactory(name="Art", slug="art")
    url = f"/admin/catalogue/topics/edit/{science.pk}/"

    response = admin_client.post(url, {"name": "Science", "slug": "science", "parent": physics.pk})
    assert response.status_code == 200
    assert "cannot be placed under itself" in str(response.context["form"].errors)

    response = admin_client.post(url, {"name": "Science", "slug": "science", "parent": art.pk})
    assert response.status_code == 302
    science.refresh_from_db()
    assert science.parent == art


def test_a_new_topic_gets_a_unique_slug_from_its_name(admin_client):
    TopicFactory(name="Robotics", slug="robotics")
    engineering = TopicFactory(name="Engineering", slug="engineering")

    response = admin_client.post(
        "/admin/catalogue/topics/create/",
        {"name": "Robotics", "slug": "", "parent": engineering.pk, "description": ""},
    )

    assert response.status_code == 302
    assert Topic.objects.get(name="Robotics", parent=engineering).slug == "robotics-2"


def test_lookups_are_editable(admin_client):
    response = admin_client.post(
        "/admin/catalogue/offerors/create/", {"code": "csail", "name": "CSAIL", "url": "", "description": ""}
    )

    assert response.status_code == 302
    assert Offeror.objects.get(code="csail").name == "CSAIL"


def test_resource_form_is_a_wagtail_admin_form():
    from catalog.admin.forms import LearningResourceForm

    assert issubclass(LearningResourceForm, WagtailAdminModelForm)


# --- Access ---------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client, catalogue):
    for url in (INDEX, edit_url(catalogue["python"]), inspect_url(catalogue["python"]), INDEX + "?export=csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("wagtailadmin_login"))


def test_users_without_admin_access_are_refused(client, django_user_model, catalogue):
    learner = django_user_model.objects.create_user("learner", "learner@example.org", "pw")
    client.force_login(learner)

    for url in (INDEX, edit_url(catalogue["python"]), INDEX + "?export=csv"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert b"Introduction to Python" not in response.content


def test_admin_users_without_catalogue_permissions_are_refused(client, django_user_model, catalogue):
    user = django_user_model.objects.create_user("pages-editor", "pages@example.org", "pw")
    group = Group.objects.create(name="Page editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    client.force_login(user)

    for url in (INDEX, edit_url(catalogue["python"]), inspect_url(catalogue["python"]), INDEX + "?export=csv"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert b"Introduction to Python" not in response.content
    dashboard = client.get("/admin/").content.decode()
    assert "Catalogue:" not in dashboard and "/admin/catalogue/resources/" not in dashboard


# --- Comparing current and source values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "current", "source", "differ"),
    [
        ("offered_by", {"code": "mitx", "name": "MITx"}, "mitx", False),  # the loader records codes
        ("offered_by", {"code": "mitx", "name": "MITx"}, "ocw", True),
        ("departments", [{"code": "6", "name": "EECS"}, {"code": "18", "name": "Math"}], ["18", "6"], False),
        ("topics", ["Science > Physics", "Art"], ["Art", "Science > Physics"], False),  # order means nothing
        ("instructors", ["Ana Bell", "Eric Grimson"], ["Eric Grimson", "Ana Bell"], True),  # order matters
        ("description", "<p>One\r\ntwo</p>\r\n", "<p>One\ntwo</p>", False),  # browsers send CRLF
        ("title", "Physics", "physics", True),
        ("languages", [], None, False),
    ],
)
def test_values_differ_compares_as_an_editor_means(field, current, source, differ):
    from catalog.admin.locks import values_differ

    assert values_differ(field, current, source) is differ


def test_the_catalogue_admin_shows_labels_not_raw_values(admin_client):
    from decimal import Decimal

    course = CourseFactory(
        title="Labelled", free=False, min_price=Decimal("2950.00"), currency="USD", languages=["en", "es"]
    )
    edit = admin_client.get(edit_url(course)).content.decode()
    assert published_by_the_source(edit) == "Yes"
    assert not re.search(r">\s*(True|False)\s*<", edit)

    inspect = admin_client.get(inspect_url(course)).content.decode()
    assert not re.search(r">\s*(True|False)\s*<", inspect)
    assert "$2,950" in inspect and "2950.00" not in inspect
    assert "English, Spanish" in inspect
