"""factory_boy factories for the catalogue, shared by every app's tests.

Typical use::

    course = LearningResourceFactory(runs=2, instructors=["Ana Bell", "Eric Grimson"], topics=["Python"])
    program = ProgramFactory(children=[course, CourseFactory()])          # ordered program → courses
    podcast = PodcastFactory(children=EpisodeFactory.create_batch(3))     # podcast → episodes
    hidden = CourseFactory(hidden=True)                                     # traits: unpublished, hidden, paid, ...

`runs`, `instructors`, `topics`, `departments` and `children` accept either a count (built for you) or a list
(of objects or, for instructors/topics/departments, of names/codes that are got-or-created).
"""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.text import slugify

import factory
from factory.django import DjangoModelFactory

from catalog.models import (
    ContentFile,
    Department,
    Instructor,
    LearningResource,
    Offeror,
    Platform,
    RelationType,
    ResourceInstructor,
    ResourceRelationship,
    ResourceType,
    Run,
    Topic,
)

# The relation a parent of each type has with its children.
RELATION_FOR_PARENT = {
    ResourceType.PROGRAM: RelationType.PROGRAM_COURSES,
    ResourceType.LEARNING_PATH: RelationType.LEARNING_PATH_ITEMS,
    ResourceType.PODCAST: RelationType.PODCAST_EPISODES,
    ResourceType.VIDEO_PLAYLIST: RelationType.PLAYLIST_VIDEOS,
}


class TopicFactory(DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    parent = None


class OfferorFactory(DjangoModelFactory):
    class Meta:
        model = Offeror
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"offeror-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    url = factory.LazyAttribute(lambda o: f"https://{o.code}.example.org/")


class PlatformFactory(DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"platform-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    url = factory.LazyAttribute(lambda o: f"https://{o.code}.example.org/")


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: str(n + 1))
    name = factory.Sequence(lambda n: f"Department {n + 1}")
    school = "School of Engineering"


class InstructorFactory(DjangoModelFactory):
    class Meta:
        model = Instructor
        django_get_or_create = ("full_name",)

    first_name = factory.Faker("first_name")
    last_name = factory.Sequence(lambda n: f"Teacher{n}")
    full_name = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name}")


def _topic(value):
    if isinstance(value, Topic):
        return value
    return TopicFactory(name=value, slug=slugify(value))


def _instructor(value):
    if isinstance(value, Instructor):
        return value
    first, _, last = value.partition(" ")
    return InstructorFactory(full_name=value, first_name=first, last_name=last or first)


def _department(value):
    if isinstance(value, Department):
        return value
    return DepartmentFactory(code=str(value), name=f"Department {value}")


class LearningResourceFactory(DjangoModelFactory):
    """A published course by default; set `resource_type` or use the per-type factories below."""

    class Meta:
        model = LearningResource
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    resource_type = ResourceType.COURSE
    source = "factory"
    source_id = factory.Sequence(lambda n: f"res-{n:05d}")
    title = factory.Sequence(lambda n: f"Learning Resource {n:05d}")
    slug = factory.LazyAttribute(lambda o: f"{slugify(o.title)[:200]}-{slugify(o.source_id)}"[:255])
    description = factory.LazyAttribute(lambda o: f"<p>About {o.title}.</p>")
    url = factory.LazyAttribute(lambda o: f"https://learn.example.org/{o.source_id}/")
    image_url = ""
    languages = factory.LazyFunction(lambda: ["en"])
    offered_by = factory.SubFactory(OfferorFactory, code="mitx", name="MITx")
    platform = factory.SubFactory(PlatformFactory, code="mitxonline", name="MITx Online")
    free = True
    certification = False
    level = "introductory"
    delivery = "online"
    published = True
    # The source's value; `published` becomes False when the resource is hidden (see LearningResource.save).
    source_published = factory.SelfAttribute("published")
    hidden = False
    view_count = factory.Sequence(lambda n: n % 1000)

    class Params:
        unpublished = factory.Trait(published=False)
        is_hidden = factory.Trait(hidden=True)
        paid = factory.Trait(free=False, min_price=Decimal("49.00"), max_price=Decimal("299.00"), currency="USD")
        certified = factory.Trait(certification=True, certification_type="completion")
        featured_item = factory.Trait(featured=True)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        items = TopicFactory.create_batch(extracted) if isinstance(extracted, int) else extracted
        self.topics.add(*[_topic(item) for item in items])

    @factory.post_generation
    def departments(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        items = DepartmentFactory.create_batch(extracted) if isinstance(extracted, int) else extracted
        self.departments.add(*[_department(item) for item in items])

    @factory.post_generation
    def instructors(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        items = InstructorFactory.create_batch(extracted) if isinstance(extracted, int) else extracted
        ResourceInstructor.objects.bulk_create(
            [
                ResourceInstructor(resource=self, instructor=_instructor(item), position=position)
                for position, item in enumerate(items)
            ]
        )

    @factory.post_generation
    def runs(self, create, extracted, **kwargs):
        """`runs=2` makes two upcoming runs a month apart; a list of dicts sets their fields."""
        if not create or not extracted:
            return
        specs = [{} for _ in range(extracted)] if isinstance(extracted, int) else extracted
        for index, spec in enumerate(specs):
            if isinstance(spec, Run):
                continue
            RunFactory(resource=self, **{"start_date": _future(30 * (index + 1)), **kwargs, **spec})
        update_next_start_date(self)

    @factory.post_generation
    def children(self, create, extracted, **kwargs):
        """Ordered children (a program's courses, a podcast's episodes): a count or a list of resources."""
        if not create or not extracted:
            return
        if isinstance(extracted, int):
            child_type = CHILD_TYPE_FOR_PARENT.get(self.resource_type, ResourceType.COURSE)
            extracted = LearningResourceFactory.create_batch(extracted, resource_type=child_type)
        add_children(self, extracted)


# The child type built for `children=<count>`.
CHILD_TYPE_FOR_PARENT = {
    ResourceType.PROGRAM: ResourceType.COURSE,
    ResourceType.LEARNING_PATH: ResourceType.COURSE,
    ResourceType.PODCAST: ResourceType.PODCAST_EPISODE,
    ResourceType.VIDEO_PLAYLIST: ResourceType.VIDEO,
}


def _future(days: int) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(days=days)).replace(microsecond=0)


def add_children(parent: LearningResource, children, relation_type: str | None = None, start: int = 0):
    """Link `children` to `parent` in the given order (positions start, start+1, ...)."""
    relation_type = relation_type or RELATION_FOR_PARENT.get(parent.resource_type, RelationType.PROGRAM_COURSES)
    return ResourceRelationship.objects.bulk_create(
        [
            ResourceRelationship(parent=parent, child=child, relation_type=relation_type, position=start + position)
            for position, child in enumerate(children)
        ]
    )


def update_next_start_date(resource: LearningResource) -> None:
    """Set `next_start_date` from the resource's published runs, as the loader does."""
    now = timezone.now()
    runs = resource.runs.filter(published=True, start_date__isnull=False)
    upcoming = runs.filter(start_date__gte=now).order_by("start_date").first()
    latest = upcoming or runs.order_by("-start_date").first()  # the loader keeps the latest past start
    resource.next_start_date = latest.start_date if latest else None
    LearningResource.objects.filter(pk=resource.pk).update(next_start_date=resource.next_start_date)


class CourseFactory(LearningResourceFactory):
    resource_type = ResourceType.COURSE
    duration = "6 weeks"
    time_commitment = "4–6 hours/week"
    pace = "self_paced"
    course_numbers = factory.Sequence(lambda n: [f"{n % 24 + 1}.{n:03d}x"])


class ProgramFactory(LearningResourceFactory):
    resource_type = ResourceType.PROGRAM
    title = factory.Sequence(lambda n: f"Program {n:05d}")
    certification = True
    certification_type = "micromasters"


class LearningPathFactory(LearningResourceFactory):
    resource_type = ResourceType.LEARNING_PATH
    title = factory.Sequence(lambda n: f"Learning Path {n:05d}")


class PodcastFactory(LearningResourceFactory):
    resource_type = ResourceType.PODCAST
    title = factory.Sequence(lambda n: f"Podcast {n:05d}")
    platform = factory.SubFactory(PlatformFactory, code="podcast", name="Podcast")


class PodcastEpisodeFactory(LearningResourceFactory):
    resource_type = ResourceType.PODCAST_EPISODE
    title = factory.Sequence(lambda n: f"Episode {n:05d}")
    media_url = factory.LazyAttribute(lambda o: f"https://media.example.org/{o.source_id}.mp3")
    duration_seconds = 1800
    published_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) - datetime.timedelta(days=7))
    platform = factory.SubFactory(PlatformFactory, code="podcast", name="Podcast")


class VideoFactory(LearningResourceFactory):
    resource_type = ResourceType.VIDEO
    title = factory.Sequence(lambda n: f"Video {n:05d}")
    url = factory.LazyAttribute(lambda o: f"https://www.youtube.com/watch?v={o.source_id}")
    image_url = factory.LazyAttribute(lambda o: f"https://img.example.org/{o.source_id}.jpg")
    duration_seconds = 600
    published_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) - datetime.timedelta(days=3))
    platform = factory.SubFactory(PlatformFactory, code="youtube", name="YouTube")


class VideoPlaylistFactory(LearningResourceFactory):
    resource_type = ResourceType.VIDEO_PLAYLIST
    title = factory.Sequence(lambda n: f"Playlist {n:05d}")
    platform = factory.SubFactory(PlatformFactory, code="youtube", name="YouTube")


class ArticleFactory(LearningResourceFactory):
    resource_type = ResourceType.ARTICLE
    title = factory.Sequence(lambda n: f"Article {n:05d}")
    published_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) - datetime.timedelta(days=1))


class DocumentFactory(LearningResourceFactory):
    resource_type = ResourceType.DOCUMENT
    title = factory.Sequence(lambda n: f"Document {n:05d}")


# Aliases under the names people reach for.
EpisodeFactory = PodcastEpisodeFactory
PlaylistFactory = VideoPlaylistFactory

FACTORY_FOR_TYPE = {
    ResourceType.COURSE: CourseFactory,
    ResourceType.PROGRAM: ProgramFactory,
    ResourceType.LEARNING_PATH: LearningPathFactory,
    ResourceType.PODCAST: PodcastFactory,
    ResourceType.PODCAST_EPISODE: PodcastEpisodeFactory,
    ResourceType.VIDEO: VideoFactory,
    ResourceType.VIDEO_PLAYLIST: VideoPlaylistFactory,
    ResourceType.ARTICLE: ArticleFactory,
    ResourceType.DOCUMENT: DocumentFactory,
}


class RunFactory(DjangoModelFactory):
    class Meta:
        model = Run

    resource = factory.SubFactory(CourseFactory)
    run_id = factory.Sequence(lambda n: f"run-{n:05d}")
    title = factory.LazyAttribute(lambda o: o.run_id)
    start_date = factory.LazyFunction(lambda: _future(30))
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=60) if o.start_date else None)
    enrollment_start = factory.LazyAttribute(
        lambda o: o.start_date - datetime.timedelta(days=30) if o.start_date else None
    )
    enrollment_end = factory.LazyAttribute(lambda o: o.end_date)
    semester = "Fall"
    year = factory.LazyAttribute(lambda o: o.start_date.year if o.start_date else None)
    pace = "instructor_paced"
    delivery = "online"
    prices = factory.LazyFunction(lambda: [{"amount": "99.00", "currency": "USD", "label": "Verified"}])
    instructors = factory.LazyFunction(list)
    enrollment_url = factory.LazyAttribute(lambda o: f"https://learn.example.org/enrol/{o.run_id}/")
    published = True


class ResourceRelationshipFactory(DjangoModelFactory):
    class Meta:
        model = ResourceRelationship

    parent = factory.SubFactory(ProgramFactory)
    child = factory.SubFactory(CourseFactory)
    relation_type = factory.LazyAttribute(
        lambda o: RELATION_FOR_PARENT.get(o.parent.resource_type, RelationType.PROGRAM_COURSES)
    )
    position = factory.Sequence(lambda n: n)


class ResourceInstructorFactory(DjangoModelFactory):
    class Meta:
        model = ResourceInstructor

    resource = factory.SubFactory(CourseFactory)
    instructor = factory.SubFactory(InstructorFactory)
    position = factory.Sequence(lambda n: n)


class ContentFileFactory(DjangoModelFactory):
    class Meta:
        model = ContentFile

    resource = factory.SubFactory(CourseFactory)
    run = None
    key = factory.Sequence(lambda n: f"files/file-{n:05d}.pdf")
    title = factory.Sequence(lambda n: f"Lecture notes {n}")
    content_type = "file"
    mime_type = "application/pdf"
    file_extension = ".pdf"
    url = factory.LazyAttribute(lambda o: f"https://files.example.org/{o.key}")
    content = "Extracted text of the lecture notes."
    checksum = factory.Sequence(lambda n: f"{n:064x}")
    published = True


def make_catalogue(size: int, *, with_hidden: bool = True) -> dict:
    """A mixed public catalogue of about `size` resources for listing and query-count tests.

    Every resource has topics, instructors and (courses) runs; a program, a podcast, a video playlist and a
    learning path (of courses, videos and articles) have ordered children that grow with `size`.
    With `with_hidden`, one unpublished and one hidden course (sharing topics with the rest) are added: they must
    never show. Returns the created objects by kind.
    """
    topics = [TopicFactory(name=name) for name in ("Computer Science", "Mathematics", "Economics")]
    offerors = [OfferorFactory(code="mitx", name="MITx"), OfferorFactory(code="ocw", name="MIT OpenCourseWare")]
    instructors = InstructorFactory.create_batch(3)
    kinds = [
        CourseFactory,
        CourseFactory,
        CourseFactory,
        VideoFactory,
        PodcastEpisodeFactory,
        ArticleFactory,
        DocumentFactory,
    ]
    made: dict[str, list] = {
        "resources": [],
        "programs": [],
        "podcasts": [],
        "playlists": [],
        "learning_paths": [],
        "hidden": [],
    }
    for index in range(max(size - 2, 1)):
        factory_class = kinds[index % len(kinds)]
        extra = {"runs": 1} if factory_class is CourseFactory else {}
        made["resources"].append(
            factory_class(
                topics=[topics[index % 3], topics[(index + 1) % 3]],
                instructors=instructors[: 1 + index % 3],
                offered_by=offerors[index % 2],
                free=index % 4 != 0,
                certification=index % 5 == 0,
                **extra,
            )
        )

    def by_type(*types):
        return [r for r in made["resources"] if r.resource_type in types]

    courses = by_type(ResourceType.COURSE)
    made["programs"].append(ProgramFactory(children=courses, topics=topics[:1], instructors=instructors[:1]))
    made["podcasts"].append(PodcastFactory(children=by_type(ResourceType.PODCAST_EPISODE), topics=topics[:1]))
    made["playlists"].append(VideoPlaylistFactory(children=by_type(ResourceType.VIDEO), topics=topics[:1]))
    made["learning_paths"].append(
        LearningPathFactory(
            children=by_type(ResourceType.COURSE, ResourceType.VIDEO, ResourceType.ARTICLE),
            topics=topics[1:2],
            instructors=instructors[:1],
        )
    )
    if with_hidden:
        made["hidden"] = [
            CourseFactory(title="Unpublished Course", unpublished=True, topics=topics, runs=1),
            CourseFactory(title="Hidden Course", hidden=True, topics=topics, runs=1),
        ]
        for hidden in made["hidden"]:
            add_children(made["programs"][0], [hidden], start=len(courses))
    return made
