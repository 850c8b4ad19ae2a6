"""Factories for the CMS: images and every page type (wagtail-factories), and stream bodies for tests."""

import uuid

import factory
import wagtail_factories

from cms.models import CustomImage, HomePage, LandingPage, ProgramPage, StandardPage


class ImageFactory(wagtail_factories.ImageFactory):
    class Meta:
        model = CustomImage

    title = factory.Sequence(lambda n: f"Image {n}")
    alt_text = factory.LazyAttribute(lambda o: f"Alt for {o.title}")


class HomePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = HomePage

    title = "Home"


class LandingPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = LandingPage

    title = factory.Sequence(lambda n: f"Landing {n}")
    slug = factory.Sequence(lambda n: f"landing-{n}")
    introduction = "A landing page."


class ProgramPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ProgramPage

    title = factory.Sequence(lambda n: f"Program page {n}")
    slug = factory.Sequence(lambda n: f"program-page-{n}")
    introduction = "A program."


class StandardPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = StandardPage

    title = factory.Sequence(lambda n: f"Standard {n}")
    slug = factory.Sequence(lambda n: f"standard-{n}")
    body = "<p>Plain text.</p>"


def item(value):
    """A ListBlock item in Wagtail's stored format."""
    return {"type": "item", "id": str(uuid.uuid4()), "value": value}


def block(block_type, value):
    return {"type": block_type, "id": str(uuid.uuid4()), "value": value}


def every_block_body(*, resources, programs=(), image=None, page=None, query=None):
    """Raw StreamField data with one block of every type of the shared block set."""
    image_id = image.pk if image else None
    return [
        block("heading", {"text": "Section heading", "level": "h2", "anchor": "section"}),
        block("rich_text", "<p>Some <b>rich</b> text.</p>"),
        block("image", {"image": image_id, "alt_text": "", "caption": "A caption", "width": "content"}),
        block(
            "call_to_action",
            {
                "heading": "Act now",
                "text": "Go",
                "button_label": "Browse",
                "link": {"page": None, "resource": None, "url": "/catalog/"},
                "style": "primary",
            },
        ),
        block("quote", {"quote": "Learning is fun.", "attribution": "Ada", "role": "Learner", "image": image_id}),
        block("statistics", {"heading": "Numbers", "items": [item({"value": "42", "label": "answers"})]}),
        block(
            "faq",
            {"heading": "FAQ", "items": [item({"question": "Is it free?", "answer": "<p>Mostly yes.</p>"})]},
        ),
        block("embed", {"embed": "https://www.youtube.com/watch?v=test123", "title": "A video", "caption": "Cap"}),
        block(
            "resource_list",
            {
                "heading": "Picked resources",
                "introduction": "",
                "resources": [item(r.pk) for r in resources],
                "layout": "cards",
            },
        ),
        block(
            "resource_query",
            {
                "heading": "Query results",
                "resource_type": "course",
                "topic": "",
                "offeror": "",
                "free_only": False,
                "upcoming_only": False,
                "ordering": "title",
                "count": 6,
                **(query or {}),
            },
        ),
        block("program_list", {"heading": "Programs", "programs": [item(p.pk) for p in programs], "count": 3}),
        block(
            "card_grid",
            {
                "heading": "Cards",
                "cards": [
                    item(
                        {
                            "title": "Card to a page",
                            "text": "Text",
                            "image": image_id,
                            "link": {"page": page.pk if page else None, "resource": None, "url": ""},
                        }
                    ),
                    item(
                        {
                            "title": "Card to a resource",
                            "text": "",
                            "image": None,
                            "link": {"page": None, "resource": resources[0].pk if resources else None, "url": ""},
                        }
                    ),
                ],
            },
        ),
    ]
