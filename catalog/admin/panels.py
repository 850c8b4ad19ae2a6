"""A field panel that shows, beside an imported field, whether it is locked and what the source says."""

from django.utils.safestring import mark_safe

from wagtail.admin.panels import FieldPanel, ObjectList

from . import locks
from .forms import lock_field_name


class LockableFieldPanel(FieldPanel):
    """A FieldPanel for a lockable field: "Imported"/"Locked" status, a lock checkbox, the source's value.

    `lock_name` is the name in LearningResource.LOCKABLE_FIELDS when the form field is named differently.
    """

    def __init__(self, field_name, *args, lock_name=None, **kwargs):
        self.lock_name = lock_name or field_name
        super().__init__(field_name, *args, **kwargs)

    def clone_kwargs(self):
        kwargs = super().clone_kwargs()
        kwargs["lock_name"] = self.lock_name
        return kwargs

    class BoundPanel(FieldPanel.BoundPanel):
        template_name = "catalog/admin/lockable_field_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["lock"] = self.lock_context()
            return context

        def lock_context(self):
            name, form, instance = self.panel.lock_name, self.form, self.instance
            if form is None or lock_field_name(name) not in form.fields:
                return None
            is_locked = name in (instance.locked_fields or [])
            has_source = locks.has_source_value(instance, name)
            source = locks.source_value(instance, name)
            current = getattr(form, "original", {}).get(name)
            return {
                "name": name,
                "is_locked": is_locked,
                "checkbox": form[lock_field_name(name)],
                "has_source_value": has_source,
                "source_display": locks.display_value(source),
                "differs": has_source and locks.values_differ(name, current, source),
            }


class ReadOnlyYesNoPanel(FieldPanel):
    """A read-only boolean shown as "Yes"/"No" (Wagtail shows a read-only boolean as "True"/"False")."""

    def __init__(self, field_name, *args, **kwargs):
        kwargs["read_only"] = True
        super().__init__(field_name, *args, **kwargs)

    def format_value_for_display(self, value):
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return super().format_value_for_display(value)


def lock_panels(panel):
    """Every LockableFieldPanel in a panel tree."""
    if isinstance(panel, LockableFieldPanel):
        yield panel
    for child in getattr(panel, "children", ()):
        yield from lock_panels(child)


class LockableObjectList(ObjectList):
    """The edit form's root panel: its lockable panels render their own lock checkboxes.

    Wagtail renders every form field no panel claims after the panels ("missing fields"). The lock checkboxes
    are form fields of no model, so no panel claims them and each was rendered a second time there: a browser
    then posted the hidden, still-ticked copy and unticking the visible box never unlocked the field.
    """

    class BoundPanel(ObjectList.BoundPanel):
        def render_missing_fields(self):
            rendered = set(self.panel.get_form_options().get("fields", []))
            rendered |= {lock_field_name(panel.lock_name) for panel in lock_panels(self.panel)}
            return mark_safe("".join(str(self.form[name]) for name in self.form.fields if name not in rendered))  # noqa: S308 - Django renders the fields
