"""Template helpers for news and events: event times in the event's own time zone, for people."""

import zoneinfo

from django import template
from django.utils import dateformat
from django.utils.html import format_html

register = template.Library()

DAY = "l j F Y"
TIME = "g:i A"


def zone_abbreviation(moment) -> str:
    """The zone's abbreviation (EST, CET, …); zones without one get their offset: "UTC+03"."""
    name = moment.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name


def in_zone(moment, time_zone: str):
    try:
        return moment.astimezone(zoneinfo.ZoneInfo(time_zone or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(zoneinfo.ZoneInfo("UTC"))


@register.filter
def local_time(moment, time_zone="UTC") -> str:
    """A datetime in `time_zone` as "Monday 5 December 2026, 10:00 AM EST"."""
    if not moment:
        return ""
    local = in_zone(moment, time_zone)
    return f"{dateformat.format(local, DAY)}, {dateformat.format(local, TIME)} {zone_abbreviation(local)}"


@register.simple_tag
def event_when(event) -> str:
    """When an event happens, in its own time zone, with machine-readable <time> elements.

    Same day: "Monday 5 December 2026, 10:00 AM – 12:00 PM EST"; over several days each end has its date.
    """
    start = in_zone(event.start, event.time_zone)
    if not event.end:
        return format_html('<time datetime="{}">{}</time>', start.isoformat(), local_time(event.start, event.time_zone))
    end = in_zone(event.end, event.time_zone)
    start_text = f"{dateformat.format(start, DAY)}, {dateformat.format(start, TIME)}"
    if end.date() == start.date():
        end_text = dateformat.format(end, TIME)
    else:
        end_text = f"{dateformat.format(end, DAY)}, {dateformat.format(end, TIME)}"
    zone = zone_abbreviation(start)
    end_zone = zone_abbreviation(end)
    if end_zone != zone:  # a change to or from daylight saving time during the event
        start_text, end_text, zone = f"{start_text} {zone}", f"{end_text} {end_zone}", ""
    return format_html(
        '<time datetime="{}">{}</time> – <time datetime="{}">{}</time>{}',
        start.isoformat(),
        start_text,
        end.isoformat(),
        end_text,
        f" {zone}" if zone else "",
    )
