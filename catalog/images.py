"""Which image a resource shows, and at which sizes: used by the `resource_image` template tag, the resource API
and the image fetcher (importers.images), which makes these renditions as soon as it stores an image.

A resource shows the image an editor chose (`image`), else its imported image once stored on this site
(`stored_image`, fetched by importers.images from `image_url`), else a local placeholder while the imported image
is missing or its fetch failed. The remote `image_url` itself is never put in a page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageVariant:
    """One place an image appears: its aspect ratio, the widths offered in `srcset` and the `sizes` hint."""

    width: int  # the width of `src` and of the width/height attributes
    height: int
    widths: tuple[int, ...]  # every width offered in srcset (renditions `fill-WxH`)
    sizes: str

    def height_for(self, width: int) -> int:
        return round(width * self.height / self.width)

    def spec(self, width: int) -> str:
        return f"fill-{width}x{self.height_for(width)}"

    def specs(self) -> list[str]:
        return [self.spec(width) for width in self.widths]


VARIANTS: dict[str, ImageVariant] = {
    # Catalogue cards (templates/catalog/_card.html): a grid of one to three columns.
    "card": ImageVariant(480, 270, (320, 480, 960), "(min-width: 1024px) 30vw, (min-width: 640px) 45vw, 100vw"),
    # Resource cards in CMS blocks (templates/components/resource_card.html).
    "tile": ImageVariant(640, 360, (320, 640, 1280), "(min-width: 1024px) 30vw, (min-width: 640px) 45vw, 100vw"),
    # The resource page (templates/catalog/resource_detail.html).
    "detail": ImageVariant(640, 360, (320, 640, 960, 1280), "(min-width: 720px) 640px, 100vw"),
}

PLACEHOLDER_STATIC = "img/resource-placeholder.svg"


def all_specs() -> list[str]:
    """Every rendition filter spec any variant uses (the fetcher makes them once, up front)."""
    return sorted({spec for variant in VARIANTS.values() for spec in variant.specs()})


def shown_image(resource):
    """The Wagtail image a resource shows (an editor's choice first, then the stored import), or None."""
    if resource.image_id:
        return resource.image
    if getattr(resource, "stored_image_id", None):
        return resource.stored_image
    return None
