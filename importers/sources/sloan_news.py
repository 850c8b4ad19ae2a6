"""MIT Sloan Executive Education blog posts (news) and webinars (events), from its Salesforce community site.

The site renders in the browser from Salesforce Aura calls; extract does what the page does: GET the page for the
framework id (`fwuid`) and application id, then POST an Aura `fetchTopicPage` action and keep the JSON answer as
`aura.json`. An answer is `{"actions": [{"state": "SUCCESS", "returnValue": {"content": [item, ...]}}]}`; an item
is Salesforce CMS content: `managedContentId`, `contentKey`, `title`, `contentUrlName`, `publishedDate`,
`contentNodes` (`Summary`, `First_Section_Content`, `Featured_Image`/`Card_Image` {url, altText}, `Quote_Author`,
`Image_Text` — a webinar's date and time as text —, `CTA_Button_URL`) and `associations.topics` [{name}].
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Iterator
from datetime import date, datetime, time
from html import unescape
from typing import ClassVar
from urllib.parse import urljoin

from django.conf import settings

from catalog.schemas import RejectedRecord

from ..errors import ImportFetchError, TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument
from .feeds import NewsSource, admin_config, plain_text
from .mitpe_news import parse_times

AURA_PATH = (
    "/s/sfsites/aura?r=1&other.CMSContent.fetchTopicPage=1"  # the query only labels the call in Salesforce's logs
)
_FWUID = (re.compile(r"fwuid%22%3A%22([^%]+)%22"), re.compile(r'"fwuid"\s*:\s*"([^"]+)"'))
_APP_ID = (
    re.compile(r"siteforce%3AcommunityApp%22%3A%22([^%]+)%22"),
    re.compile(r'"APPLICATION@markup://siteforce:communityApp"\s*:\s*"([^"]+)"'),
)
_DAY = re.compile(r"([A-Z][a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
EASTERN = zoneinfo.ZoneInfo("America/New_York")


def _node(item: dict, name: str) -> dict:
    node = (item.get("contentNodes") or {}).get(name)
    return node if isinstance(node, dict) else {}


def _value(item: dict, name: str) -> str:
    return unescape(str(_node(item, name).get("value") or ""))


def webinar_start(text: str) -> datetime | None:
    """ "Thursday, June 12, 2025 | 11:00 AM - 12:00 PM ET" → 2025-06-12 11:00 Eastern; None without a date."""
    match = _DAY.search(text or "")
    if not match:
        return None
    month, day, year = match.groups()
    try:
        when = datetime.strptime(f"{month} {day} {year}", "%B %d %Y")
    except ValueError:
        try:
            when = datetime.strptime(f"{month[:3]} {day} {year}", "%b %d %Y")
        except ValueError:
            return None
    start, _end = parse_times(text[match.end() :])
    return datetime.combine(date(when.year, when.month, when.day), start or time(0, 0), EASTERN)


def aura_items(document: SnapshotDocument) -> Iterator[dict]:
    """The CMS items of an Aura answer. TransformError when it is not one, or when every action failed."""
    body = document.json()
    actions = body.get("actions") if isinstance(body, dict) else None
    if not isinstance(actions, list):
        raise TransformError("expected a Salesforce Aura answer with an `actions` list", document=document.name)
    failures = []
    for action in actions:
        if not isinstance(action, dict):
            continue
        if action.get("state") not in (None, "SUCCESS"):
            errors = action.get("error") or []
            message = errors[0].get("message") if errors and isinstance(errors[0], dict) else ""
            failures.append(f"{action.get('state')}: {message or 'no message'}")
            continue
        value = action.get("returnValue")
        content = value.get("content") if isinstance(value, dict) else None
        if isinstance(content, list):
            yield from (item for item in content if isinstance(item, dict))
    if failures and len(failures) == len(actions):
        raise TransformError(f"every Aura action failed ({'; '.join(failures)[:300]})", document=document.name)


class SloanAuraSource(NewsSource):
    """A page of exec.mit.edu whose items come from one Aura call."""

    page_path: ClassVar[str] = ""
    actions: ClassVar[list[dict]] = []
    document_name = "aura.json"

    @classmethod
    def default_config(cls) -> dict:
        return {"site_url": settings.SLOAN_EXEC_SITE_URL, "topics": [], **admin_config(getattr(cls, "name", ""))}

    def not_configured(self) -> str:
        return "" if self.config.get("site_url") else "set SLOAN_EXEC_SITE_URL"

    def site(self, path: str) -> str:
        return urljoin(self.config["site_url"].rstrip("/") + "/", path.lstrip("/")) if path else ""

    def extract(self, http) -> Iterator[SnapshotDocument]:
        page_url = self.site(self.page_path)
        page = http.get(page_url, headers={"Accept": "text/html"}).text
        fwuid = next((m.group(1) for p in _FWUID if (m := p.search(page))), None)
        app_id = next((m.group(1) for p in _APP_ID if (m := p.search(page))), None)
        if not fwuid or not app_id:
            raise ImportFetchError(
                "the page has no Aura framework or application id (fwuid, communityApp); has the site changed?",
                url=page_url,
            )
        context = {
            "mode": "PROD",
            "fwuid": fwuid,
            "app": "siteforce:communityApp",
            "loaded": {"APPLICATION@markup://siteforce:communityApp": app_id},
            "dn": [],
            "globals": {},
            "uad": False,
        }
        data = {
            "message": json.dumps({"actions": self.actions}),
            "aura.context": json.dumps(context),
            "aura.pageURI": self.page_path,
            "aura.token": "null",
        }
        url = self.site(AURA_PATH)
        response = http.post(url, data=data, headers={"Accept": "application/json"})
        yield http.to_document(self.document_name, response, content_type="application/json", url=url)

    def transform(self, snapshot: Snapshot) -> Iterator[dict | RejectedRecord]:
        for document in snapshot.matching(suffix=".json") or snapshot.documents:
            for index, item in enumerate(aura_items(document)):
                record = self.item(item, f"{document.name} item {index}")
                yield record if isinstance(record, RejectedRecord) else self.with_defaults(record)

    def item(self, item: dict, where: str) -> dict | RejectedRecord:
        raise NotImplementedError

    def image(self, item: dict, *names: str) -> tuple[str, str]:
        for name in names:
            node = _node(item, name)
            if node.get("url"):
                return self.site(str(node["url"])), plain_text(node.get("altText") or node.get("title"))[:255]
        return "", ""


# Topics the site uses to pick which list a card shows in, not subjects.
LISTING_TOPICS = {"upcoming webinars", "recent webinar", "recent webinars"}


def _topics(item: dict) -> list[str]:
    topics = (item.get("associations") or {}).get("topics") or []
    names = [plain_text(t.get("name")) for t in topics if isinstance(t, dict) and t.get("name")]
    return [name for name in names if name.lower() not in LISTING_TOPICS]


@register
class SloanExecNews(SloanAuraSource):
    name = "sloan_news"
    title = "MIT Sloan Executive Education blog"
    description = "Blog posts of exec.mit.edu (Salesforce CMS content read through the site's Aura endpoint)."
    default_schedule = {"minutes": 180}  # MIT Learn's cadence: every 3 hours
    page_path = "/s/blog"
    actions = [
        {
            "id": "1;a",
            "descriptor": "apex://CMSContentController/ACTION$fetchTopicPage",
            "callingDescriptor": "markup://c:CMS_BlogPostList",
            "params": {
                "contentType": "Blog_Post",
                "topicName": "",
                "pageSize": 20,
                "pageNumber": 0,
                "sortFields": ["DateTime1"],
                "AscDesc": "DESC",
            },
        }
    ]

    def item(self, item: dict, where: str) -> dict | RejectedRecord:
        ident = str(item.get("managedContentId") or item.get("contentKey") or where)
        if not item.get("title"):
            return RejectedRecord.of(ident, "title", f"{where}: the post has no title", "feed_item")
        if not item.get("contentUrlName") or not item.get("managedContentId"):
            return RejectedRecord.of(
                ident, "contentUrlName", f"{where}: the post has no URL name or content id to link to", "feed_item"
            )
        image_url, image_alt = self.image(item, "Featured_Image", "Card_Image")
        author = plain_text(_value(item, "Quote_Author"))
        return {
            "guid": ident,
            "title": plain_text(item["title"]),
            "link": self.site(f"/s/blog-post/{item['contentUrlName']}-{item['managedContentId']}"),
            "summary": _value(item, "Summary"),
            "content": _value(item, "First_Section_Content"),
            "author": author[:255],
            "published_at": item.get("publishedDate") or None,
            "image_url": image_url,
            "image_alt": image_alt,
            "categories": _topics(item),
        }


@register
class SloanExecWebinars(SloanAuraSource):
    name = "sloan_webinars"
    title = "MIT Sloan Executive Education webinars"
    description = "Upcoming and recent webinars of exec.mit.edu (Salesforce CMS content through its Aura endpoint)."
    default_schedule = {"minutes": 720}  # MIT Learn's cadence: every 12 hours
    page_path = "/s/webinars"
    actions = [
        {
            "id": "1;a",
            "descriptor": "apex://CMSContentController/ACTION$fetchTopicPage",
            "callingDescriptor": "markup://c:CMS_ThreeCardDisplay",
            "params": {
                "contentType": "Card_Display_Item",
                "topicName": "Upcoming Webinars",
                "pageSize": 20,
                "pageNumber": 0,
            },
        },
        {
            "id": "2;a",
            "descriptor": "apex://CMSContentController/ACTION$fetchTopicPage",
            "callingDescriptor": "markup://c:CMS_WebinarList",
            "params": {
                "contentType": "Webinar_Post",
                "topicName": "Recent Webinar",
                "pageSize": 20,
                "pageNumber": 0,
                "AscDesc": "DESC",
                "sortFields": ["DateTime1"],
            },
        },
    ]

    def item(self, item: dict, where: str) -> dict | RejectedRecord:
        ident = str(item.get("contentKey") or item.get("managedContentId") or where)
        if not item.get("title"):
            return RejectedRecord.of(ident, "title", f"{where}: the webinar has no title", "feed_item")
        link = str(_value(item, "CTA_Button_URL")).strip()
        if link and not link.startswith(("http://", "https://")):
            link = self.site(link)
        if not link and item.get("contentUrlName") and item.get("managedContentId"):
            link = self.site(f"/s/webinar-post/{item['contentUrlName']}-{item['managedContentId']}")
        if not link:
            return RejectedRecord.of(
                ident, "CTA_Button_URL", f"{where}: the webinar has no registration or page URL", "feed_item"
            )
        when_text = plain_text(_value(item, "Image_Text"))
        starts = webinar_start(when_text)
        if starts is None:
            return RejectedRecord.of(
                ident, "Image_Text", f"{where}: no webinar date in {when_text[:80]!r}", "feed_item"
            )
        image_url, image_alt = self.image(item, "Card_Image", "Featured_Image")
        return {
            "guid": ident,
            "item_type": "event",
            "title": plain_text(item["title"]),
            "link": link,
            "summary": _value(item, "Summary"),
            "content": _value(item, "Full_Webinar_Summary"),
            "published_at": item.get("publishedDate") or starts.isoformat(),
            "starts_at": starts.isoformat(),
            "location": "Online",
            "online": True,
            "registration_url": link,
            "image_url": image_url,
            "image_alt": image_alt,
            "categories": ["Webinar", *_topics(item)],
        }
