"""Template tags of the resource page's Save control (templates/catalog/includes/save_to_list.html)."""

from django import template
from django.conf import settings
from django.db.models import Exists, OuterRef

from catalog.models import LearnerList, LearnerListItem

register = template.Library()


@register.simple_tag(takes_context=True)
def learner_lists_for(context, resource):
    """The signed-in user's lists, "Saved" first, each with `contains` (the resource is in it); one query."""
    user = context["request"].user
    if not user.is_authenticated:
        return []
    return list(
        LearnerList.objects.filter(owner=user)
        .annotate(contains=Exists(LearnerListItem.objects.filter(learner_list=OuterRef("pk"), resource=resource)))
        .only("pk", "title", "is_default")
    )


@register.simple_tag
def learner_login_url():
    return settings.LEARNER_LOGIN_URL
