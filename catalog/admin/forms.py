"""Admin forms: the resource form that locks what an editor changes, and the topic form (parent as a tree)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from wagtail.admin.forms import WagtailAdminModelForm

from catalog.models import Department, Topic
from catalog.sanitize import clean_html

from . import locks
from .topics import descendant_ids, indented, topic_tree

# Lockable fields edited through a form field of another name.
FORM_FIELD_FOR_LOCK = {"instructors": "instructor_names"}
HTML_FIELDS = ("description", "full_description")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def form_field_name(lock_name: str) -> str:
    return FORM_FIELD_FOR_LOCK.get(lock_name, lock_name)


def lock_field_name(lock_name: str) -> str:
    return f"lock__{lock_name}"


class StringListField(forms.CharField):
    """A list of short strings typed one per line (or comma-separated when `separator` is ",")."""

    def __init__(self, *, separator="\n", **kwargs):
        self.separator = separator
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return (", " if self.separator == "," else "\n").join(str(item) for item in value)
        return value

    def to_python(self, value):
        if isinstance(value, (list, tuple)):
            return [str(item) for item in value]
        text = super().to_python(value) or ""
        parts = text.split(",") if self.separator == "," else text.splitlines()
        return [" ".join(part.split()) for part in parts if part.strip()]

    def has_changed(self, initial, data):
        return self.to_python(initial or []) != self.to_python(data)


class TopicChoiceField(forms.ModelMultipleChoiceField):
    """Topics as a tree of checkboxes, each labelled with its path ("Engineering › Robotics")."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(queryset=Topic.objects.none(), required=False, **kwargs)

    def set_tree(self, tree):
        self.queryset = Topic.objects.all()
        # Fixed choices in tree order; validation still looks the chosen ids up in the queryset.
        self.choices = [(topic.pk, indented(topic.name, depth)) for topic, depth in tree]


class LearningResourceForm(WagtailAdminModelForm):
    """Edits a resource; changing an imported field locks it, and every lockable field has a lock checkbox.

    Per lockable field: was locked + box unticked → unlocked and the source's value restored (the posted value
    is ignored); not locked + box ticked, or value changed → locked. `newly_locked` and `unlocked` say what
    happened, for the view's message.
    """

    languages = StringListField(separator=",", help_text="ISO 639-1 codes separated by commas, e.g. en, es.")
    instructor_names = StringListField(label="Instructors", help_text="One name per line, in the order shown.")
    topics = TopicChoiceField()
    departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic_parents = locks.topic_map()
        self.fields["topics"].set_tree(topic_tree(self.topic_parents.values()))
        instance = self.instance
        self.was_locked = set(instance.locked_fields or []) if instance.pk else set()
        self.original = {}
        # The stored values of unchanged fields are kept byte for byte (no re-cleaning of imported text).
        self.stored = {
            name: getattr(instance, instance._meta.get_field(name).attname)
            for name in locks.LOCKABLE_FIELDS
            if name not in locks.M2M_FIELDS
        }
        if instance.pk:
            for name in locks.LOCKABLE_FIELDS:
                self.original[name] = locks.current_value(instance, name, self.topic_parents)
            self.initial.setdefault("instructor_names", self.original["instructors"])
        for name in self.lockable_names():
            self.fields[lock_field_name(name)] = forms.BooleanField(
                required=False,
                initial=name in self.was_locked,
                label="Locked",
                widget=forms.CheckboxInput(attrs={"title": "Keep this value when the source is re-imported"}),
            )
        self.newly_locked, self.unlocked, self.changed = [], [], []

    def lockable_names(self):
        """The lockable fields this form edits."""
        return [name for name in locks.LOCKABLE_FIELDS if form_field_name(name) in self.fields]

    def clean_languages(self):
        codes = self.cleaned_data["languages"]
        bad = [code for code in codes if not LANGUAGE_CODE.match(code)]
        if bad:
            raise ValidationError(
                "Not a language code: %(codes)s. Use ISO 639-1 codes such as en, es or pt-BR.",
                params={"codes": ", ".join(bad)},
            )
        return codes

    def posted_value(self, name):
        """The cleaned value of a lockable field in the JSON shape of `source_values`, to compare with the old."""
        value = self.cleaned_data.get(form_field_name(name))
        if name in locks.LOOKUP_FK_FIELDS:
            return {"code": value.code, "name": value.name} if value else None
        if name == "topics":
            return sorted(locks.topic_path(t, self.topic_parents) for t in value or [])
        if name == "departments":
            return [{"code": d.code, "name": d.name} for d in value or []]
        return value

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        self.newly_locked, self.unlocked, self.changed = [], [], []
        for name in self.lockable_names():
            want_locked = bool(cleaned.get(lock_field_name(name)))
            changed = locks.values_differ(name, self.original.get(name), self.posted_value(name))
            if changed:
                self.changed.append(name)
            if name in self.was_locked and not want_locked:
                self.unlocked.append(name)
            elif name not in self.was_locked and (want_locked or changed):
                self.newly_locked.append(name)
        return cleaned

    @property
    def locked_fields(self) -> list[str]:
        kept = [name for name in self.instance.locked_fields or [] if name not in self.unlocked]
        return kept + [name for name in self.newly_locked if name not in kept]

    def save(self, commit=True):
        instance = self.instance
        restorable = [name for name in self.unlocked if locks.has_source_value(instance, name)]
        # Unlocked relations follow the source: don't write the posted value, restore the source's below.
        for name in restorable:
            if name in locks.M2M_FIELDS:
                self.cleaned_data.pop(form_field_name(name), None)
        instance = super().save(commit=False)
        for name, value in self.stored.items():
            if instance.pk and name not in self.changed:
                setattr(instance, instance._meta.get_field(name).attname, value)
        for name in restorable:
            if name not in locks.M2M_FIELDS:
                locks.restore_scalar(instance, name)
        for name in HTML_FIELDS:
            if name in self.changed and name not in restorable:
                setattr(instance, name, clean_html(getattr(instance, name) or ""))
        instance.locked_fields = self.locked_fields
        if self.unlocked:
            # The next import rewrites the row even if its record is unchanged.
            instance.content_hash = ""
        if commit:
            with transaction.atomic():
                instance.save()
                self._save_m2m()
                self.save_instructors(instance, restorable)
                for name in restorable:
                    if name in locks.M2M_FIELDS:
                        locks.restore_relations(instance, name)
        return instance

    def save_instructors(self, instance, restorable):
        if "instructors" in restorable or "instructor_names" not in self.cleaned_data:
            return
        names = self.cleaned_data["instructor_names"]
        if names != self.original.get("instructors"):
            locks.set_instructors(instance, names)


class TopicForm(WagtailAdminModelForm):
    """A topic with its parent chosen from the tree; a topic cannot be put under itself or its descendants."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Used in URLs; made from the name when left empty."
        if "parent" not in self.fields:
            return
        topics = list(Topic.objects.only("id", "name", "parent_id"))
        excluded = descendant_ids(self.instance.pk, topics) if self.instance.pk else set()
        field = self.fields["parent"]
        field.choices = [("", "— none (a top-level topic) —")] + [
            (topic.pk, indented(topic.name, depth)) for topic, depth in topic_tree(topics) if topic.pk not in excluded
        ]

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or slugify(self.cleaned_data.get("name") or "")[:130]
        if not slug:
            raise ValidationError("Give the topic a name or a slug.")
        if not self.cleaned_data.get("slug"):
            base, suffix = slug, 2
            while Topic.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
                slug, suffix = f"{base}-{suffix}", suffix + 1
        return slug

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent and self.instance.pk and parent.pk in descendant_ids(self.instance.pk):
            raise ValidationError("A topic cannot be placed under itself or one of its own sub-topics.")
        return parent
