"""`{% resource_image resource "card" class="…" alt="…" %}`: a resource's image as a responsive `<img>`.

The image comes from this site only (catalog.images.shown_image: the editor's image, else the stored import, with
`srcset` renditions), or a local placeholder while an imported image is not stored (pending or failed). A
resource without any image renders nothing. The remote `image_url` is never rendered.
"""

import logging

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

from catalog.images import PLACEHOLDER_STATIC, VARIANTS, shown_image

logger = logging.getLogger(__name__)
register = template.Library()


@register.simple_tag
def resource_image(resource, variant="card", *, alt="", css_class="", loading="lazy", **attrs):
    """The `<img>` for `resource` in the named variant (card, tile, detail); `class=` is accepted as `css_class`."""
    try:
        spec = VARIANTS[variant]
    except KeyError:
        raise template.TemplateSyntaxError(
            f"resource_image: unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}"
        ) from None
    css_class = attrs.pop("class", css_class)
    image = shown_image(resource)
    common = format_html_join(
        "",
        ' {}="{}"',
        [(name, value) for name, value in (("class", css_class), ("loading", loading), *attrs.items()) if value],
    )
    renditions = None
    if image is not None:
        try:
            renditions = image.get_renditions(*spec.specs())
        except OSError:  # SourceImageIOError: the file is gone from storage: the placeholder, not an error page
            logger.warning("image %s of resource %s cannot be read; showing the placeholder", image.pk, resource.pk)
    if renditions:
        main = renditions[spec.spec(spec.width)]
        by_width = {rendition.width: rendition for rendition in renditions.values()}  # a small source repeats one
        srcset = ", ".join(f"{r.url} {width}w" for width, r in sorted(by_width.items()))
        return format_html(
            '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" decoding="async"{}>',
            main.url,
            srcset,
            spec.sizes,
            main.width,
            main.height,
            alt,
            common,
        )
    if resource.image_url or image is not None:
        return format_html(
            '<img src="{}" width="{}" height="{}" alt=""{} data-image-status="{}">',
            static(PLACEHOLDER_STATIC),
            spec.width,
            spec.height,
            common,
            resource.image_fetch_status or "pending",
        )
    return ""
