"""Per-site settings editors change in the admin: identity, colours, social links, footer, analytics, robots."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.images import get_image_model_string

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_hex_colour(value):
    if value and not HEX_COLOUR.match(value):
        raise ValidationError(_("Enter a colour as #rrggbb, e.g. #a31f34."))


def site_key(request):
    """What Wagtail finds the site by (`Site.find_for_request`): the raw host's name and the port."""
    from django.http.request import split_domain_port

    return split_domain_port(request._get_raw_host())[0], request.get_port()


@register_setting(icon="cog")
class SiteSettings(BaseSiteSetting):
    site_name = models.CharField(max_length=100, blank=True, help_text=_("Defaults to the SITE_NAME setting."))
    logo = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    primary_colour = models.CharField(max_length=7, blank=True, validators=[validate_hex_colour])
    primary_dark_colour = models.CharField(
        max_length=7, blank=True, validators=[validate_hex_colour], help_text=_("Hover and focus shade.")
    )
    footer_text = models.TextField(blank=True)
    twitter_handle = models.CharField(max_length=50, blank=True, help_text=_("Without the @; used in Twitter cards."))
    mastodon_url = models.URLField(blank=True)
    linkedin_url = models.URLField(blank=True)
    youtube_url = models.URLField(blank=True)
    github_url = models.URLField(blank=True)
    plausible_domain = models.CharField(
        max_length=255, blank=True, help_text=_("Plausible analytics domain; the script is served from your host.")
    )
    google_analytics_id = models.CharField(max_length=32, blank=True, help_text=_("e.g. G-XXXXXXX"))
    robots_txt_extra = models.TextField(blank=True, help_text=_("Extra robots.txt lines, e.g. 'Disallow: /search/'."))
    disallow_all_robots = models.BooleanField(
        default=False, help_text=_("For staging sites: ask every robot to stay away.")
    )

    select_related = ["logo"]

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("site_name"),
                FieldPanel("logo"),
                FieldPanel("primary_colour"),
                FieldPanel("primary_dark_colour"),
            ],
            heading=_("Identity"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("footer_text"),
                FieldPanel("twitter_handle"),
                FieldPanel("mastodon_url"),
                FieldPanel("linkedin_url"),
                FieldPanel("youtube_url"),
                FieldPanel("github_url"),
            ],
            heading=_("Footer and social"),
        ),
        MultiFieldPanel([FieldPanel("plausible_domain"), FieldPanel("google_analytics_id")], heading=_("Analytics")),
        MultiFieldPanel([FieldPanel("disallow_all_robots"), FieldPanel("robots_txt_extra")], heading=_("robots.txt")),
    ]

    class Meta:
        verbose_name = _("site settings")

    @classmethod
    def for_request(cls, request):
        """The request's site settings, with the site itself, from the content cache when it is on
        (`cms.content_cache`): no query for either on a hit. Wagtail keeps both on the request."""
        from cms.content_cache import get_or_compute

        attr_name = cls.get_cache_attr_name()
        if hasattr(request, attr_name):
            return getattr(request, attr_name)
        site, site_settings = get_or_compute(
            request, "site-settings", site_key(request), lambda: cls._site_and_settings(request)
        )
        if not hasattr(request, "_wagtail_site"):
            request._wagtail_site = site
        site_settings._request = request
        setattr(request, attr_name, site_settings)
        return site_settings

    @classmethod
    def _site_and_settings(cls, request):
        from wagtail.models import Site

        site = Site.find_for_request(request)
        return site, cls.for_site(site)

    @classmethod
    def for_site(cls, site):
        """The site's settings, or unsaved defaults until an editor saves them: reading a page never writes (Wagtail's
        own `for_site` creates the row on the first request)."""
        if site is None:
            raise cls.DoesNotExist(f"{cls.__name__} does not exist for site None.")
        return cls.base_queryset().filter(site=site).first() or cls(site=site)

    @property
    def social_links(self):
        links = [
            ("Mastodon", self.mastodon_url),
            ("LinkedIn", self.linkedin_url),
            ("YouTube", self.youtube_url),
            ("GitHub", self.github_url),
        ]
        if self.twitter_handle:
            links.insert(0, ("X (Twitter)", f"https://x.com/{self.twitter_handle.lstrip('@')}"))
        return [{"label": label, "url": url} for label, url in links if url]
