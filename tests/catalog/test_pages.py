"""Learner pages: browse with facets and counts, detail of every type, topic and offeror pages, caching."""

import datetime
import json
import re
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

import pytest

from catalog.factories import (
    ArticleFactory,
    CourseFactory,
    DocumentFactory,
    LearningPathFactory,
    OfferorFactory,
    PlatformFactory,
    PodcastEpisodeFactory,
    PodcastFactory,
    ProgramFactory,
    TopicFactory,
    VideoFactory,
    VideoPlaylistFactory,
    make_catalogue,
)

pytestmark = pytest.mark.django_db

BROWSE = "/catalog/"


def titles(response) -> list[str]:
    """Titles of the resource cards on a listing page, in order."""
    html = response.content.decode()
    return re.findall(r'<h3 id="resource-\d+-title"><a href="[^"]+">([^<]+)</a></h3>', html)


def facet_counts(response, name) -> dict[str, int]:
    """{option value: count} of one facet on a listing page."""
    return {option.value: option.count for option in _facet(response, name).options}


def _facet(response, name):
    return next(facet for facet in response.context["facets"] if facet.name == name)


def jsonld(response) -> dict:
    html = response.content.decode()
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD script on the page"
    return json.loads(match.group(1))


# --- Browse ------------------------------------------------------------------------------------------------


def test_browse_lists_public_resources_only_and_counts_exclude_the_rest(client):
    CourseFactory(title="Visible Course", topics=["Python"])
    CourseFactory(title="Draft Course", unpublished=True, topics=["Python"])
    CourseFactory(title="Blocked Course", hidden=True, topics=["Python"])

    response = client.get(BROWSE)

    assert response.status_code == 200
    assert titles(response) == ["Visible Course"]
    assert facet_counts(response, "type") == {"course": 1}
    assert facet_counts(response, "topic") == {"python": 1}
    assert response.context["page_obj"].paginator.count == 1
    body = response.content.decode()
    assert "Draft Course" not in body and "Blocked Course" not in body


def test_facets_or_within_and_across_with_counts_from_the_other_facets(client):
    mitx = OfferorFactory(code="mitx", name="MITx")
    ocw = OfferorFactory(code="ocw", name="OCW")
    CourseFactory(title="Free MITx Course", offered_by=mitx, free=True)
    CourseFactory(title="Paid MITx Course", offered_by=mitx, paid=True)
    CourseFactory(title="Free OCW Course", offered_by=ocw, free=True)
    VideoFactory(title="Free MITx Video", offered_by=mitx, free=True)
    PodcastFactory(title="Free OCW Podcast", offered_by=ocw, free=True)

    # OR within a facet.
    response = client.get(BROWSE, {"type": ["video", "podcast"], "sort": "title"})
    assert titles(response) == ["Free MITx Video", "Free OCW Podcast"]

    # AND across facets.
    response = client.get(BROWSE, {"type": "course", "offeror": "mitx", "free": "true", "sort": "title"})
    assert titles(response) == ["Free MITx Course"]

    # Each facet's counts apply every other facet's selection but not its own.
    assert facet_counts(response, "type") == {"course": 1, "video": 1}  # mitx + free
    assert facet_counts(response, "offeror") == {"mitx": 1, "ocw": 1}  # course + free
    assert facet_counts(response, "free") == {"true": 1, "false": 1}  # course + mitx
    assert _facet(response, "type").options[0].selected
    # The selections are kept in the form and listed as removable filters.
    body = response.content.decode()
    assert 'name="offeror" value="mitx" checked' in body
    assert "Offered by: MITx" in body


def test_facet_values_unknown_to_the_facet_are_ignored(client):
    CourseFactory(title="A Course")
    response = client.get(BROWSE, {"type": "spaceship", "level": "<script>", "free": "maybe"})
    assert response.status_code == 200
    assert titles(response) == ["A Course"]
    assert not response.context["filtered"]


def test_topic_certification_level_delivery_and_platform_facets(client):
    youtube = PlatformFactory(code="youtube", name="YouTube")
    CourseFactory(title="ML Course", topics=["Machine Learning"], certified=True, level="advanced", delivery="hybrid")
    CourseFactory(title="Econ Course", topics=["Economics"], level="introductory")
    VideoFactory(title="ML Video", topics=["Machine Learning"], platform=youtube, level="")

    assert titles(client.get(BROWSE, {"topic": "machine-learning", "sort": "title"})) == ["ML Course", "ML Video"]
    assert titles(client.get(BROWSE, {"certification": "true"})) == ["ML Course"]
    assert titles(client.get(BROWSE, {"level": ["advanced", "introductory"], "sort": "title"})) == [
        "Econ Course",
        "ML Course",
    ]
    assert titles(client.get(BROWSE, {"delivery": "hybrid"})) == ["ML Course"]
    response = client.get(BROWSE, {"platform": "youtube"})
    assert titles(response) == ["ML Video"]
    assert facet_counts(response, "topic") == {"machine-learning": 1}
    # A resource in two ticked topics is listed once.
    CourseFactory(title="Both", topics=["Machine Learning", "Economics"])
    response = client.get(BROWSE, {"topic": ["machine-learning", "economics"]})
    assert sorted(titles(response)) == ["Both", "Econ Course", "ML Course", "ML Video"]


def test_sorting(client):
    now = timezone.now()
    CourseFactory(title="Bravo", view_count=5, runs=[{"start_date": now + datetime.timedelta(days=10)}])
    CourseFactory(title="Alpha", view_count=50, runs=[{"start_date": now + datetime.timedelta(days=40)}])
    CourseFactory(title="Charlie", view_count=1)

    assert titles(client.get(BROWSE, {"sort": "title"})) == ["Alpha", "Bravo", "Charlie"]
    assert titles(client.get(BROWSE, {"sort": "popular"})) == ["Alpha", "Bravo", "Charlie"]
    assert titles(client.get(BROWSE, {"sort": "start"})) == ["Bravo", "Alpha", "Charlie"]
    assert titles(client.get(BROWSE, {"sort": "newest"})) == ["Charlie", "Alpha", "Bravo"]
    # An unknown sort falls back to the default rather than failing.
    assert client.get(BROWSE, {"sort": "drop table"}).status_code == 200


def test_start_date_sort_puts_upcoming_starts_first_then_past_then_undated(client):
    now = timezone.now()
    for title, days in (("Last year", -400), ("Next month", 30), ("Last month", -30), ("Tomorrow", 1)):
        CourseFactory(title=title, next_start_date=now + datetime.timedelta(days=days))
    CourseFactory(title="Anytime")

    assert titles(client.get(BROWSE, {"sort": "start"})) == [
        "Tomorrow",
        "Next month",
        "Last month",
        "Last year",
        "Anytime",
    ]


def test_featured_resources_lead_the_default_listing(client):
    CourseFactory(title="Old Featured", featured=True)
    CourseFactory(title="New Plain")
    assert titles(client.get(BROWSE))[0] == "Old Featured"


def test_pagination_keeps_filters(client):
    for index in range(30):
        CourseFactory(title=f"Course {index:02d}")
    VideoFactory(title="A Video")

    first = client.get(BROWSE, {"type": "course", "sort": "title"})
    assert len(titles(first)) == 24
    body = first.content.decode()
    assert "1–24 of 30 resources" in body
    next_link = re.search(r'<a href="(\?[^"]+)" rel="next">', body).group(1)
    assert "type=course" in next_link and "page=2" in next_link

    second = client.get(BROWSE + next_link.replace("&amp;", "&"))
    assert titles(second) == [f"Course {index:02d}" for index in range(24, 30)]
    # A page past the end shows the last page.
    assert titles(client.get(BROWSE, {"type": "course", "sort": "title", "page": 99})) == titles(second)


def test_empty_state(client):
    response = client.get(BROWSE)
    assert "No resources match yet" in response.content.decode()
    CourseFactory()
    response = client.get(BROWSE, {"type": "podcast"})
    body = response.content.decode()
    assert "No resources match these filters" in body
    assert "clear all filters" in body
    # The ticked value still shows (with 0) so that it can be unticked.
    assert facet_counts(response, "type") == {"course": 1, "podcast": 0}


def test_browse_markup_is_accessible(client):
    CourseFactory(topics=["Python"])
    body = client.get(BROWSE).content.decode()
    assert body.count("<h1") == 1
    assert '<main id="main"' in body
    assert "<legend" in body and "<fieldset" in body
    assert re.search(r'<label for="catalog-sort">', body)
    for input_id in re.findall(r'<input type="checkbox" id="([^"]+)"', body):
        assert f'<label for="{input_id}">' in body
    # Only the project's own stylesheets.
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', body):
        assert href.startswith("/static/")
    assert "/static/css/catalog.css" in body


# --- Detail pages ------------------------------------------------------------------------------------------


def test_course_detail_shows_runs_instructors_topics_offeror_platform_and_enrol_link(client):
    start = (timezone.now() + datetime.timedelta(days=20)).replace(microsecond=0)
    course = CourseFactory(
        title="Introduction to Python",
        description="<p>Learn <strong>Python</strong>.</p><script>alert(1)</script>",
        instructors=["Ana Bell", "Eric Grimson"],
        topics=["Python", "Computer Science"],
        departments=["6"],
        paid=True,
        certified=True,
        runs=[
            {
                "run_id": "run-fall",
                "title": "Fall term",
                "start_date": start,
                "prices": [{"amount": "75.00", "currency": "USD", "label": "Verified"}],
                "enrollment_url": "https://learn.example.org/enrol/fall/",
            },
            {"run_id": "run-past", "title": "Old term", "start_date": start - datetime.timedelta(days=400)},
        ],
    )

    response = client.get(course.get_absolute_url())

    assert response.status_code == 200
    body = response.content.decode()
    assert '<h1 id="resource-title">Introduction to Python</h1>' in body
    assert "<strong>Python</strong>" in body and "<script>alert(1)</script>" not in body
    assert body.index("Ana Bell") < body.index("Eric Grimson")
    assert "Fall term" in body and "Old term" in body
    assert "Verified: $75" in body
    assert start.strftime("%-d %b %Y") in body
    assert reverse("catalog:topic", args=["python"]) in body
    assert reverse("catalog:offeror", args=["mitx"]) in body and "MITx Online" in body
    # The enrol button goes to the next run's enrolment page.
    assert re.search(r'class="button resource__action" href="https://learn.example.org/enrol/fall/"', body)

    data = jsonld(response)
    assert data["@type"] == "Course"
    assert data["name"] == "Introduction to Python"
    assert data["provider"]["name"] == "MITx"
    assert [i["name"] for i in data["instructor"]] == ["Ana Bell", "Eric Grimson"]
    instances = data["hasCourseInstance"]
    assert [i["@type"] for i in instances] == ["CourseInstance", "CourseInstance"]
    fall = next(i for i in instances if i["name"] == "Fall term")
    assert fall["startDate"] == start.isoformat()
    assert fall["offers"][0] == {"@type": "Offer", "price": "75.00", "priceCurrency": "USD"}
    assert fall["courseMode"] == "online"


def test_program_detail_lists_its_public_courses_in_order(client):
    first, second, third = (CourseFactory(title=t) for t in ("Zeta First", "Alpha Second", "Mu Third"))
    hidden = CourseFactory(title="Hidden Member", hidden=True)
    program = ProgramFactory(title="Data Science Program", children=[first, second, hidden, third])

    response = client.get(program.get_absolute_url())
    body = response.content.decode()

    assert "Courses in this program" in body
    assert body.index("Zeta First") < body.index("Alpha Second") < body.index("Mu Third")
    assert "Hidden Member" not in body
    data = jsonld(response)
    assert data["@type"] == "EducationalOccupationalProgram"
    assert [c["name"] for c in data["hasCourse"]] == ["Zeta First", "Alpha Second", "Mu Third"]
    # The course page says which program it belongs to.
    assert "Data Science Program" in client.get(first.get_absolute_url()).content.decode()


def test_podcast_and_episode_detail(client):
    episodes = [PodcastEpisodeFactory(title=f"Episode number {n}") for n in (1, 2, 3)]
    podcast = PodcastFactory(title="Chalk Radio", children=episodes)

    response = client.get(podcast.get_absolute_url())
    body = response.content.decode()
    assert "Episodes" in body
    assert body.index("Episode number 1") < body.index("Episode number 2") < body.index("Episode number 3")
    data = jsonld(response)
    assert data["@type"] == "PodcastSeries"
    assert len(data["hasPart"]) == 3

    response = client.get(episodes[0].get_absolute_url())
    body = response.content.decode()
    assert "<audio controls" in body and episodes[0].media_url in body
    assert "Chalk Radio" in body
    data = jsonld(response)
    assert data["@type"] == "PodcastEpisode"
    assert data["partOfSeries"]["name"] == "Chalk Radio"
    assert data["timeRequired"] == "PT30M"
    assert data["associatedMedia"]["contentUrl"] == episodes[0].media_url


def test_playlist_and_video_detail(client):
    videos = [VideoFactory(title="Lecture 1: Intro", duration_seconds=3725), VideoFactory(title="Lecture 2: More")]
    playlist = VideoPlaylistFactory(title="Lectures", children=videos)

    body = client.get(playlist.get_absolute_url()).content.decode()
    assert "Videos in this playlist" in body
    assert body.index("Lecture 1: Intro") < body.index("Lecture 2: More")
    assert "1 h 2 min" in body

    response = client.get(videos[0].get_absolute_url())
    data = jsonld(response)
    assert data["@type"] == "VideoObject"
    assert data["duration"] == "PT1H2M5S"
    assert videos[0].image_url and "thumbnailUrl" not in data  # not stored on this site yet: never the remote URL
    assert "uploadDate" in data
    assert "Watch" in response.content.decode()


def test_learning_path_article_and_document_detail(client):
    article = ArticleFactory(title="Why Learn", instructors=["Pat Writer"])
    document = DocumentFactory(title="Syllabus PDF")
    path = LearningPathFactory(title="Start Here", children=[document, article])

    body = client.get(path.get_absolute_url()).content.decode()
    assert "In this learning path" in body and body.index("Syllabus PDF") < body.index("Why Learn")

    data = jsonld(client.get(article.get_absolute_url()))
    assert data["@type"] == "Article" and data["headline"] == "Why Learn"
    assert data["author"] == [{"@type": "Person", "name": "Pat Writer"}]
    assert jsonld(client.get(document.get_absolute_url()))["@type"] == "DigitalDocument"


@pytest.mark.parametrize("trait", ["unpublished", "hidden"])
def test_unpublished_and_hidden_resources_are_404_and_absent_from_relations(client, trait):
    visible = CourseFactory(title="Visible", topics=["Python"])
    secret = CourseFactory(title="Secret Thing", topics=["Python"], **{trait: True})
    ProgramFactory(title="Secret Parent", children=[visible], **{trait: True})

    assert client.get(secret.get_absolute_url()).status_code == 404
    body = client.get(visible.get_absolute_url()).content.decode()
    assert "Secret Thing" not in body  # not a related resource
    assert "Secret Parent" not in body  # not a parent
    assert "Secret" not in client.get("/catalog/topics/python/").content.decode()
    assert facet_counts(client.get(BROWSE), "type") == {"course": 1}


def test_related_resources_share_topics(client):
    course = CourseFactory(title="Main", topics=["Python", "Data"])
    CourseFactory(title="Shares Two", topics=["Python", "Data"])
    CourseFactory(title="Shares One", topics=["Data"], view_count=999)
    CourseFactory(title="Shares None", topics=["Art"])

    related = client.get(course.get_absolute_url()).context["related"]
    assert [r.title for r in related] == ["Shares Two", "Shares One"]


def test_jsonld_is_escaped_safely(client):
    course = CourseFactory(title="</script><script>alert('x')</script> & more")
    response = client.get(course.get_absolute_url())
    body = response.content.decode()
    assert "<script>alert" not in body
    assert jsonld(response)["name"] == "</script><script>alert('x')</script> & more"


def test_unknown_slug_is_404(client):
    assert client.get("/catalog/no-such-thing/").status_code == 404
    assert client.get("/catalog/topics/no-such-topic/").status_code == 404
    assert client.get("/catalog/offerors/nobody/").status_code == 404


# --- Topic and offeror pages -------------------------------------------------------------------------------


def test_topic_page_lists_the_topic_and_its_subtopics(client):
    parent = TopicFactory(name="Computer Science")
    child = TopicFactory(name="Machine Learning", parent=parent)
    CourseFactory(title="General CS", topics=[parent])
    CourseFactory(title="Deep Learning", topics=[child])
    CourseFactory(title="Poetry", topics=["Poetry"])

    response = client.get(reverse("catalog:topic", args=[parent.slug]), {"sort": "title"})
    assert response.status_code == 200
    assert titles(response) == ["Deep Learning", "General CS"]
    body = response.content.decode()
    assert "<h1>Computer Science</h1>" in body and "Machine Learning" in body

    response = client.get(reverse("catalog:topic", args=[child.slug]))
    assert titles(response) == ["Deep Learning"]
    assert 'href="/catalog/topics/computer-science/"' in response.content.decode()  # breadcrumb


def test_offeror_page(client):
    ocw = OfferorFactory(code="test-school", name="Test School", description="Free course materials.")
    CourseFactory(title="OCW Course", offered_by=ocw)
    VideoFactory(title="OCW Video", offered_by=ocw)
    CourseFactory(title="Other Course")

    response = client.get(reverse("catalog:offeror", args=["test-school"]), {"type": "video"})
    assert titles(response) == ["OCW Video"]
    assert facet_counts(response, "type") == {"course": 1, "video": 1}
    assert "offeror" not in [facet.name for facet in response.context["facets"]]
    assert "Free course materials." in response.content.decode()


# --- Caching -----------------------------------------------------------------------------------------------


def test_public_pages_are_cacheable_with_etag_and_304(client, settings):
    settings.CACHE_MAX_AGE = 120
    settings.CACHE_STALE_WHILE_REVALIDATE = 600
    course = CourseFactory()

    for url in (BROWSE, course.get_absolute_url()):
        response = client.get(url)
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert cache_control == {"public", "max-age=0", "s-maxage=120", "stale-while-revalidate=600"}
        etag = response["ETag"]
        assert etag.startswith('"')

        not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert not_modified.status_code == 304
        assert not_modified.content == b""
        assert not_modified["ETag"] == etag
        assert client.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_signed_in_visitors_and_errors_are_not_publicly_cached(client, django_user_model):
    assert "public" not in client.get("/catalog/missing/").get("Cache-Control", "")
    user = django_user_model.objects.create_user(username="editor", password="pw-editor-123")
    client.force_login(user)
    response = client.get(BROWSE)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert not response.has_header("ETag")
    assert client.post(BROWSE).status_code == 405


# --- Query counts ------------------------------------------------------------------------------------------

# The site layout (site settings, navigation menus) costs a few fixed queries on every page.
LAYOUT_QUERIES = 5
# Browse: 8 facet counts + the page + its topics prefetch (the total is the type facet's sum).
LISTING_MAX_QUERIES = 10 + LAYOUT_QUERIES
# Detail: resource + topics, departments, instructors, runs + children + parents + related (2) .
DETAIL_MAX_QUERIES = 10 + LAYOUT_QUERIES


@pytest.mark.parametrize("size", [10, 200])
def test_query_counts_do_not_grow_with_the_catalogue(client, django_assert_max_num_queries, size):
    made = make_catalogue(size)
    course = made["resources"][0]
    program = made["programs"][0]
    podcast = made["podcasts"][0]
    playlist, learning_path = made["playlists"][0], made["learning_paths"][0]
    client.get(BROWSE)  # the first page view of a site creates its settings row; not what is measured here

    with django_assert_max_num_queries(LISTING_MAX_QUERIES):
        response = client.get(BROWSE, {"sort": "start"})
    public_total = len(made["resources"]) + 4  # + the program, the podcast, the playlist and the learning path
    assert response.context["page_obj"].paginator.count == public_total
    assert len(titles(response)) == min(24, public_total)
    with django_assert_max_num_queries(LISTING_MAX_QUERIES):
        client.get(BROWSE, {"topic": "mathematics", "type": ["course", "video"], "free": "true", "page": "2"})
    with django_assert_max_num_queries(LISTING_MAX_QUERIES + 1):
        assert client.get("/catalog/topics/computer-science/").status_code == 200
    with django_assert_max_num_queries(LISTING_MAX_QUERIES):
        assert client.get("/catalog/offerors/mitx/").status_code == 200
    for resource in (course, program, podcast, playlist, learning_path):
        with django_assert_max_num_queries(DETAIL_MAX_QUERIES):
            response = client.get(resource.get_absolute_url())
        assert response.status_code == 200
    # The playlist lists its videos and the learning path its items, in order, whatever their number.
    for parent, types in ((playlist, {"video"}), (learning_path, {"course", "video", "article"})):
        items = [r.pk for r in made["resources"] if r.resource_type in types][:100]
        assert [child.pk for child in client.get(parent.get_absolute_url()).context["children"]] == items
    # The program lists every public course of the catalogue (none of the hidden ones).
    assert len(client.get(program.get_absolute_url()).context["children"]) == min(
        len([r for r in made["resources"] if r.resource_type == "course"]), 100
    )


def test_cost_shows_price_range(client):
    course = CourseFactory(free=False, min_price=Decimal("50.00"), max_price=Decimal("150.00"), currency="EUR")
    assert "<dd>€50–€150</dd>" in client.get(course.get_absolute_url()).content.decode()


def test_long_podcast_lists_the_first_hundred_episodes(client):
    podcast = PodcastFactory(children=PodcastEpisodeFactory.create_batch(101))
    response = client.get(podcast.get_absolute_url())
    assert len(response.context["children"]) == 100
    assert "The first 100 of 101." in response.content.decode()
