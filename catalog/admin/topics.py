"""The topic tree for the admin: preorder with depths, descendants, and an SQL ordering that follows the tree."""

from collections import defaultdict

from django.db.models import Case, IntegerField, Value, When

from catalog.models import Topic

# Above this many topics the listing falls back to alphabetical order (the CASE expression would grow too big).
TREE_ORDER_LIMIT = 2000
INDENT = "\u2003"  # an em space per level: visible indentation in <select> options and table cells


def topic_tree(topics=None) -> list[tuple[Topic, int]]:
    """Topics in tree order (each parent followed by its children, siblings by name) with their depth.

    Topics caught in a parent cycle (which the admin form prevents) are listed at the end, at depth 0.
    """
    topics = list(Topic.objects.only("id", "name", "slug", "parent_id") if topics is None else topics)
    ids = {topic.pk for topic in topics}
    children = defaultdict(list)
    for topic in topics:
        children[topic.parent_id if topic.parent_id in ids else None].append(topic)
    for siblings in children.values():
        siblings.sort(key=lambda t: (t.name.lower(), t.pk))

    ordered, seen = [], set()
    stack = [(topic, 0) for topic in reversed(children[None])]
    while stack:
        topic, depth = stack.pop()
        if topic.pk in seen:
            continue
        seen.add(topic.pk)
        ordered.append((topic, depth))
        stack.extend((child, depth + 1) for child in reversed(children[topic.pk]))
    ordered.extend((topic, 0) for topic in topics if topic.pk not in seen)
    return ordered


def indented(name: str, depth: int) -> str:
    return f"{INDENT * depth}{name}"


def descendant_ids(topic_id: int, topics=None) -> set[int]:
    """`topic_id` and the ids of every topic below it."""
    children = defaultdict(list)
    for topic in Topic.objects.only("id", "parent_id") if topics is None else topics:
        children[topic.parent_id].append(topic.pk)
    found, stack = set(), [topic_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children[current])
    return found


def annotate_tree(queryset):
    """Order a Topic queryset in tree order and annotate `tree_depth` (one extra query for the tree itself)."""
    tree = topic_tree()
    if len(tree) > TREE_ORDER_LIMIT:
        return queryset.annotate(tree_depth=Value(0, output_field=IntegerField())).order_by("name")
    position = [When(pk=topic.pk, then=Value(index)) for index, (topic, _) in enumerate(tree)]
    depth = [When(pk=topic.pk, then=Value(level)) for topic, level in tree]
    return queryset.annotate(
        tree_position=Case(*position, default=Value(len(tree)), output_field=IntegerField()),
        tree_depth=Case(*depth, default=Value(0), output_field=IntegerField()),
    ).order_by("tree_position", "name")
