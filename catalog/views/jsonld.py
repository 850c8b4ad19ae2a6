"""schema.org JSON-LD for a resource's detail page (Course, CourseInstance, PodcastEpisode, VideoObject, ...)."""

from django.utils.html import strip_tags

from catalog.images import shown_image
from catalog.models import CertificationType, Delivery, ResourceType

SCHEMA_TYPE = {
    ResourceType.COURSE: "Course",
    ResourceType.PROGRAM: "EducationalOccupationalProgram",
    ResourceType.LEARNING_PATH: "LearningResource",
    ResourceType.PODCAST: "PodcastSeries",
    ResourceType.PODCAST_EPISODE: "PodcastEpisode",
    ResourceType.VIDEO: "VideoObject",
    ResourceType.VIDEO_PLAYLIST: "CreativeWorkSeries",
    ResourceType.ARTICLE: "Article",
    ResourceType.DOCUMENT: "DigitalDocument",
}
# schema.org courseMode values for our delivery choices.
COURSE_MODE = {
    Delivery.ONLINE: "online",
    Delivery.IN_PERSON: "onsite",
    Delivery.HYBRID: "blended",
    Delivery.OFFLINE: "offline",
}


def iso_duration(seconds: int | None) -> str | None:
    """ISO 8601 duration (PT1H2M3S) of a number of seconds."""
    if not seconds:
        return None
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + "".join(f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if value)


def _clean(data):
    """Drop empty values so that the markup only states what is known."""
    if isinstance(data, dict):
        return {key: _clean(value) for key, value in data.items() if value not in (None, "", [], {})}
    if isinstance(data, list):
        return [_clean(value) for value in data]
    return data


def _credential(resource) -> str | None:
    if not resource.certification:
        return None
    if resource.certification_type and resource.certification_type != CertificationType.NONE:
        return resource.get_certification_type_display()
    return "Certificate"


def _person(instructor):
    return {"@type": "Person", "name": instructor.full_name}


def _offers(prices, fallback_free):
    offers = [
        {"@type": "Offer", "price": str(price.get("amount", "")), "priceCurrency": price.get("currency", "")}
        for price in prices
        if price.get("amount") not in (None, "")
    ]
    if not offers and fallback_free:
        offers = [{"@type": "Offer", "price": "0", "priceCurrency": "USD", "category": "Free"}]
    return offers


def resource_jsonld(resource, *, request, runs=(), instructors=(), children=(), parents=()) -> dict:
    """The JSON-LD object for `resource`; related objects are passed in (already fetched by the view)."""

    def absolute(url):
        return request.build_absolute_uri(url) if url else None

    page_url = absolute(resource.get_absolute_url())
    image = shown_image(resource)
    # The copy on this site (catalog.images); the source's URL is never handed out while it is not stored.
    image_url = absolute(image.file.url) if image is not None else None
    data = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPE.get(resource.resource_type, "LearningResource"),
        "@id": page_url,
        "name": resource.title,
        "description": strip_tags(resource.description).strip()[:5000],
        "url": resource.url or page_url,
        "inLanguage": resource.languages[0] if resource.languages else None,
        "isAccessibleForFree": resource.free,
        "image": image_url,
        "keywords": ", ".join(resource.keywords) if resource.keywords else None,
        "about": [{"@type": "Thing", "name": topic.name} for topic in resource.topics.all()],
    }
    if resource.offered_by_id:
        data["provider"] = {
            "@type": "Organization",
            "name": resource.offered_by.name,
            "sameAs": resource.offered_by.url or None,
        }
    if resource.level:
        data["educationalLevel"] = resource.get_level_display()
    if resource.license:
        data["license"] = resource.license

    kind = resource.resource_type
    if kind == ResourceType.COURSE:
        data["courseCode"] = resource.course_numbers[0] if resource.course_numbers else None
        data["timeRequired"] = iso_duration(resource.duration_seconds)
        data["hasCourseInstance"] = [
            {
                "@type": "CourseInstance",
                "name": run.title or None,
                "courseMode": COURSE_MODE.get(run.delivery or resource.delivery, "online"),
                "startDate": run.start_date.isoformat() if run.start_date else None,
                "endDate": run.end_date.isoformat() if run.end_date else None,
                "location": run.location or None,
                "instructor": [{"@type": "Person", "name": name} for name in run.instructors]
                or [_person(i) for i in instructors],
                "offers": _offers(run.prices, resource.free),
                "url": run.enrollment_url or None,
            }
            for run in runs
        ]
        if instructors:
            data["instructor"] = [_person(i) for i in instructors]
        data["educationalCredentialAwarded"] = _credential(resource)
    elif kind == ResourceType.PROGRAM:
        data["hasCourse"] = [
            {"@type": "Course", "name": c.title, "url": absolute(c.get_absolute_url())} for c in children
        ]
        data["educationalCredentialAwarded"] = _credential(resource)
    elif kind == ResourceType.PODCAST:
        data["webFeed"] = resource.url or None
        data["hasPart"] = [
            {"@type": "PodcastEpisode", "name": e.title, "url": absolute(e.get_absolute_url())} for e in children
        ]
    elif kind == ResourceType.PODCAST_EPISODE:
        data["datePublished"] = resource.published_at.isoformat() if resource.published_at else None
        data["timeRequired"] = iso_duration(resource.duration_seconds)
        if resource.media_url:
            data["associatedMedia"] = {"@type": "MediaObject", "contentUrl": resource.media_url}
        series = next((p for p in parents if p.resource_type == ResourceType.PODCAST), None)
        if series:
            data["partOfSeries"] = {
                "@type": "PodcastSeries",
                "name": series.title,
                "url": absolute(series.get_absolute_url()),
            }
    elif kind == ResourceType.VIDEO:
        data["thumbnailUrl"] = image_url
        data["uploadDate"] = resource.published_at.isoformat() if resource.published_at else None
        data["duration"] = iso_duration(resource.duration_seconds)
        data["contentUrl"] = resource.media_url or None
        data["embedUrl"] = resource.url or None
    elif kind in (ResourceType.VIDEO_PLAYLIST, ResourceType.LEARNING_PATH):
        data["hasPart"] = [
            {
                "@type": SCHEMA_TYPE.get(c.resource_type, "LearningResource"),
                "name": c.title,
                "url": absolute(c.get_absolute_url()),
            }
            for c in children
        ]
    elif kind == ResourceType.ARTICLE:
        data["headline"] = resource.title[:110]
        data["datePublished"] = resource.published_at.isoformat() if resource.published_at else None
        if instructors:
            data["author"] = [_person(i) for i in instructors]
    elif kind == ResourceType.DOCUMENT and instructors:
        data["author"] = [_person(i) for i in instructors]
    return _clean(data)
