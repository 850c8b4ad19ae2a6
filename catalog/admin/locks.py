"""Field locks, the editor's half: compare, display and restore the values of lockable fields.

The loader keeps `LearningResource.source_values` = the source's latest value of every field in
`LearningResource.LOCKABLE_FIELDS`, in JSON: scalars as they are, `offered_by`/`platform` as codes, `topics` as
names (`"Parent > Child"` for a nested topic), `departments` as codes, `instructors` and `languages` as lists of
strings. The readers here also accept `{code, name}` dicts for lookups (the admin shows current values that
way), so comparing and restoring work with either shape.
"""

from django.db import models, transaction
from django.utils.text import slugify

from catalog.models import Department, Instructor, LearningResource, Offeror, Platform, ResourceInstructor, Topic

LOCKABLE_FIELDS = tuple(LearningResource.LOCKABLE_FIELDS)
LOOKUP_FK_FIELDS = {"offered_by": Offeror, "platform": Platform}
M2M_FIELDS = ("topics", "departments", "instructors")
# Lists whose order means nothing (compared as sets); instructors and languages keep their order.
UNORDERED_FIELDS = ("topics", "departments")
# Editor-only fields: never locked, never written by an import.
EDITOR_ONLY_FIELDS = ("featured", "hidden", "editorial_note", "image")
TOPIC_PATH_SEPARATOR = " > "


def topic_path(topic: Topic, parents: dict | None = None) -> str:
    """A topic as the loader names it: "Parent > Child" (any depth), using `parents` {id: Topic} if given."""
    names, seen = [topic.name], {topic.pk}
    parent_id = topic.parent_id
    while parent_id and parent_id not in seen:
        seen.add(parent_id)
        parent = parents.get(parent_id) if parents is not None else Topic.objects.filter(pk=parent_id).first()
        if parent is None:
            break
        names.append(parent.name)
        parent_id = parent.parent_id
    return TOPIC_PATH_SEPARATOR.join(reversed(names))


def current_value(resource: LearningResource, name: str, topic_parents: dict | None = None):
    """The resource's current value of a lockable field, in the JSON shape of `source_values`.

    Reads related rows through `.all()`, so prefetching `topics`, `departments` and
    `instructor_links__instructor` (and passing `topic_parents`, see `topic_map`) makes this query-free.
    """
    if name in LOOKUP_FK_FIELDS:
        obj = getattr(resource, name)
        return {"code": obj.code, "name": obj.name} if obj else None
    if name == "topics":
        if topic_parents is None:
            topic_parents = topic_map()
        return sorted(topic_path(t, topic_parents) for t in resource.topics.all())
    if name == "departments":
        return sorted(({"code": d.code, "name": d.name} for d in resource.departments.all()), key=lambda d: d["code"])
    if name == "instructors":
        links = sorted(resource.instructor_links.all(), key=lambda link: link.position)
        return [link.instructor.full_name for link in links]
    value = getattr(resource, name)
    return list(value) if isinstance(value, (list, tuple)) else value


def topic_map() -> dict:
    """Every topic by id (one query; topics are a few hundred at most), to name topics without a query each."""
    return {topic.pk: topic for topic in Topic.objects.only("id", "name", "parent_id")}


def _key(value, lookup: bool = False):
    """A comparable form of one JSON value: lookups by code (else name), text with normalised whitespace."""
    if isinstance(value, dict):
        return str(value.get("code") or value.get("name") or "").strip().lower()
    if isinstance(value, str):
        text = " ".join(value.replace("\r\n", "\n").split())
        return text.lower() if lookup else text
    return value


def comparable(name: str, value):
    """A value of field `name` reduced to something `==` compares the way an editor means it.

    Lookups compare by code whether given as `{code, name}` or as a bare code, as the loader records them.
    """
    lookup = name in LOOKUP_FK_FIELDS or name == "departments"
    if value is None and name in M2M_FIELDS + ("languages",):
        value = []
    if isinstance(value, (list, tuple)):
        keys = [_key(item, lookup) for item in value]
        return sorted(keys, key=str) if name in UNORDERED_FIELDS else keys
    if value is None or value == "":
        return ""
    return _key(value, lookup)


def values_differ(name: str, a, b) -> bool:
    return comparable(name, a) != comparable(name, b)


def display_value(value) -> str:
    """A short human form of a JSON value for the admin ("MITx (mitx)", "Python, Data Science")."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        name, code = value.get("name"), value.get("code")
        if name and code and name != code:
            return f"{name} ({code})"
        return str(name or code or "—")
    if isinstance(value, (list, tuple)):
        return ", ".join(display_value(item) for item in value) or "—"
    return str(value)


def has_source_value(resource: LearningResource, name: str) -> bool:
    return isinstance(resource.source_values, dict) and name in resource.source_values


def source_value(resource: LearningResource, name: str):
    return (resource.source_values or {}).get(name) if isinstance(resource.source_values, dict) else None


# --- Restoring the source's value on unlock ---------------------------------------------------------------


def _code_and_name(value) -> tuple[str, str]:
    if isinstance(value, dict):
        code = str(value.get("code") or value.get("name") or "").strip()
        return code, str(value.get("name") or code).strip()
    text = str(value).strip()
    return text, text


def _lookup(model, value):
    """Find (or create, as the loader would) an Offeror/Platform/Department from a source value."""
    code, name = _code_and_name(value)
    if not code:
        return None
    code_field = model._meta.get_field("code")
    if model is not Department:
        code = slugify(code)[: code_field.max_length] or code[: code_field.max_length]
    obj = model.objects.filter(code=code).first() or model.objects.filter(name__iexact=name).first()
    return obj or model.objects.create(code=code, name=name[:200] or code)


def _topic(value) -> Topic | None:
    """A topic from "Parent > Child" (or a bare name, or {name, parent}); missing ones are created."""
    if isinstance(value, dict):
        path = [p for p in (value.get("parent"), value.get("name")) if p]
    else:
        path = [part.strip() for part in str(value).replace("›", ">").split(">") if part.strip()]
    if not path:
        return None
    if len(path) == 1:
        found = Topic.objects.filter(name__iexact=path[0]).order_by("parent_id").first()
        if found:
            return found
    parent = None
    for name in path:
        found = Topic.objects.filter(parent=parent, name__iexact=name).first()
        if found is None:
            slug = base = slugify(name)[:130] or "topic"
            suffix = 2
            while Topic.objects.filter(slug=slug).exists():
                slug, suffix = f"{base}-{suffix}", suffix + 1
            found = Topic.objects.create(name=name[:128], slug=slug, parent=parent)
        parent = found
    return parent


def set_instructors(resource: LearningResource, names) -> None:
    """Replace the resource's instructors with `names`, in that order (missing instructors are created)."""
    names = [" ".join(str(n).split()) for n in names or [] if str(n).strip()]
    names = list(dict.fromkeys(names))  # keep order, drop repeats
    existing = {i.full_name: i for i in Instructor.objects.filter(full_name__in=names)}
    for name in names:
        if name not in existing:
            first, _, last = name.rpartition(" ")
            existing[name] = Instructor.objects.create(full_name=name, first_name=first or last, last_name=last)
    ResourceInstructor.objects.filter(resource=resource).delete()
    ResourceInstructor.objects.bulk_create(
        ResourceInstructor(resource=resource, instructor=existing[name], position=position)
        for position, name in enumerate(names)
    )


def restore_scalar(resource: LearningResource, name: str) -> None:
    """Set a non-relation lockable field on the (unsaved) instance from `source_values`."""
    field = LearningResource._meta.get_field(name)
    value = source_value(resource, name)
    if name in LOOKUP_FK_FIELDS:
        setattr(resource, name, _lookup(LOOKUP_FK_FIELDS[name], value) if value else None)
        return
    if value is None:
        value = field.get_default() if field.has_default() else ("" if not field.null else None)
    elif not isinstance(field, models.JSONField):
        value = field.to_python(value)
    setattr(resource, name, value)


def restore_relations(resource: LearningResource, name: str) -> None:
    """Rewrite a many-to-many lockable field of a saved resource from `source_values`."""
    value = source_value(resource, name) or []
    if name == "topics":
        resource.topics.set([t for t in (_topic(v) for v in value) if t])
    elif name == "departments":
        resource.departments.set([d for d in (_lookup(Department, v) for v in value) if d])
    elif name == "instructors":
        set_instructors(resource, value)


def unlock(resource: LearningResource, names) -> list[str]:
    """Unlock `names` on a saved resource and put back the source's value of each; returns those unlocked.

    Clearing `content_hash` makes the next import rewrite the row even when its record has not changed, so a
    field unlocked without a recorded source value also follows the source again after the next import.
    """
    names = [n for n in names if n in (resource.locked_fields or [])]
    if not names:
        return []
    with transaction.atomic():
        for name in names:
            if not has_source_value(resource, name):
                continue
            if name in M2M_FIELDS:
                restore_relations(resource, name)
            else:
                restore_scalar(resource, name)
        resource.locked_fields = [f for f in resource.locked_fields if f not in names]
        resource.content_hash = ""
        resource.save()
    return names
