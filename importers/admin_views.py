"""The Imports section of the Wagtail admin: sources, run history, review, schedules and the 30-day chart."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from django_q.models import Schedule

from catalog.models import ResourceType

from .charts import runs_per_day
from .errors import ImporterError
from .locks import owner_is_dead, release_lock_by_operator
from .models import ImportLock, ImportRun, SourceSettings, StoredSnapshot
from .registry import all_sources, get_source_class, is_registered
from .review import reject_run
from .runner import configured_source
from .schedules import describe, ensure_source_schedule, schedule_name, schedules_by_source
from .source_locations import can_edit_locations, changed_locations, refusal_message
from .sources.base import Snapshot, SnapshotDocument
from .sources.catalog_mapping import shown
from .tasks import approve_run, enqueue_import

VIEW_PERMISSION = "importers.view_importrun"
RUN_PERMISSION = "importers.add_importrun"
RUNS_PER_PAGE = 50

STATUS_CLASSES = {
    ImportRun.Status.SUCCEEDED: "w-status--primary",
    ImportRun.Status.RUNNING: "w-status--label",
    ImportRun.Status.SKIPPED: "",
    ImportRun.Status.NEEDS_REVIEW: "w-status--label",
    ImportRun.Status.REJECTED: "",
    ImportRun.Status.FAILED: "w-status--error",
    ImportRun.Status.WAITING: "w-status--label",
    ImportRun.Status.SUPERSEDED: "",
}

# What a source imports, for people (Source.kind is a code).
KIND_LABELS = {
    "catalogue": "Catalogue",
    "news": "News and events",
    "media": "Podcasts and videos",
    "content": "Course content",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, (kind or "").replace("_", " ").capitalize())


def status_label(status: str) -> str:
    try:
        return ImportRun.Status(status).label
    except ValueError:
        return status


def resource_type_label(code: str) -> str:
    try:
        return ResourceType(code).label
    except ValueError:
        return code


def can_view(user) -> bool:
    return user.has_perm(VIEW_PERMISSION)


def can_run(user) -> bool:
    return user.has_perm(RUN_PERMISSION)


def last_runs_by_source() -> dict[str, ImportRun]:
    """The latest non-dry run of every source, in one query (latest id per source, then the rows)."""
    latest_ids = (
        ImportRun.objects.filter(dry_run=False)
        .values("source")
        .annotate(latest=Max("id"))
        .values_list("latest", flat=True)
    )
    return {run.source: run for run in ImportRun.objects.filter(pk__in=list(latest_ids))}


def source_rows() -> list[dict]:
    schedules = schedules_by_source()
    last_runs = last_runs_by_source()
    overrides = {s.source: s for s in SourceSettings.objects.all()}
    rows = []
    for cls in all_sources():
        schedule = schedules.get(cls.name)
        setting = overrides.get(cls.name)
        rows.append(
            {
                "name": cls.name,
                "title": cls.title,
                "kind": cls.kind,
                "kind_label": kind_label(cls.kind),
                "schedule": describe(schedule),
                "next_run": schedule.next_run if schedule and schedule.repeats != 0 else None,
                "last_run": last_runs.get(cls.name),
                "enabled": setting.enabled if setting else True,
            }
        )
    return rows


class ImportsAdminMixin(WagtailAdminTemplateMixin):
    header_icon = "download"

    def dispatch(self, request, *args, **kwargs):
        if not can_view(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": reverse("importers_admin:index"), "label": "Imports"}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_run"] = can_run(self.request.user)
        context["status_classes"] = STATUS_CLASSES
        return context


class IndexView(ImportsAdminMixin, TemplateView):
    template_name = "importers/admin/index.html"
    page_title = "Imports"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": "Imports"}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sources"] = source_rows()
        context["review_runs"] = ImportRun.objects.filter(status=ImportRun.Status.NEEDS_REVIEW, reviewed_at=None)[:20]
        context["chart"] = runs_per_day(30)
        context["recent_failures"] = ImportRun.objects.filter(status=ImportRun.Status.FAILED)[:5]
        return context


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(choices=[("cron", "Cron expression"), ("minutes", "Every N minutes")], label="Schedule")
    cron = forms.CharField(required=False, help_text="e.g. 0 4 * * * (04:00 every day)", max_length=100)
    minutes = forms.IntegerField(required=False, min_value=1, max_value=60 * 24 * 31)
    paused = forms.BooleanField(required=False, help_text="Paused: the schedule does not run.")

    def clean(self):
        data = super().clean()
        if data.get("kind") == "cron":
            cron = (data.get("cron") or "").strip()
            try:
                from croniter import croniter

                valid = croniter.is_valid(cron)
            except ImportError:  # django-q2 validates on save when croniter is absent
                valid = len(cron.split()) == 5
            if not valid:
                self.add_error("cron", "Enter a valid cron expression with five fields, e.g. 0 4 * * *.")
            data["cron"] = cron
        elif not data.get("minutes"):
            self.add_error("minutes", "Enter how many minutes between runs.")
        return data


class SourceSettingsForm(forms.Form):
    enabled = forms.BooleanField(required=False, help_text="Off: scheduled and webhook runs are skipped.")
    config = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "monospace"}),
        help_text="JSON object merged over the source's settings, e.g. a CSV field mapping.",
    )

    def clean_config(self):
        text = (self.cleaned_data.get("config") or "").strip() or "{}"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Enter a JSON object ({...}).")
        return value


class PreviewForm(forms.Form):
    """A catalogue export to preview with the source's saved mapping (sources with a `preview`, e.g. csv_catalog)."""

    file = forms.FileField(help_text="A CSV or JSON export; nothing is stored or imported.")
    rows = forms.IntegerField(min_value=1, max_value=50, initial=5)


def preview_rows(source, upload, rows: int) -> list[dict]:
    """The source's preview of an uploaded file, its values shortened for the page."""
    document = SnapshotDocument(
        name=upload.name, content=upload.read(), content_type=upload.content_type or "application/octet-stream"
    )
    previews = source.preview(Snapshot(source.name, [document]), rows=rows)
    for row in previews:
        row["title"] = (row["record"] or {}).get("title", "")
        row["source_id"] = (row["record"] or {}).get("source_id", "(not imported)")
        row["fields"] = [
            {**item, "cell": shown(item["cell"], 200), "value": shown(item["value"], 200)} for item in row["fields"]
        ]
    return previews


class SourceView(ImportsAdminMixin, TemplateView):
    template_name = "importers/admin/source.html"

    def dispatch(self, request, *args, **kwargs):
        if not is_registered(kwargs["source"]):
            raise Http404("unknown import source")
        self.source_cls = get_source_class(kwargs["source"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.source_cls.title

    def get_page_subtitle(self):
        return "imports"

    def get_breadcrumbs_items(self):
        return [*super().get_breadcrumbs_items(), {"url": "", "label": self.source_cls.title}]

    def schedule(self) -> Schedule | None:
        return Schedule.objects.filter(name=schedule_name(self.source_cls.name)).first()

    @staticmethod
    def lock_state(source: str) -> dict | None:
        """The source's lock as the page shows it: who holds it, its last renewal, and whether it looks dead."""
        lock = ImportLock.objects.filter(source=source).select_related("run").first()
        if lock is None:
            return None
        return {"lock": lock, "stale": lock.expired or owner_is_dead(lock.owner)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        name = self.source_cls.name
        schedule = self.schedule()
        runs = ImportRun.objects.filter(source=name).select_related("snapshot", "requested_by")
        page = Paginator(runs, RUNS_PER_PAGE).get_page(self.request.GET.get("p"))
        overrides = SourceSettings.objects.filter(source=name).first()
        context.update(
            source=self.source_cls,
            schedule=schedule,
            schedule_text=describe(schedule),
            runs=page,
            counts={
                status_label(status): n
                for status, n in runs.values_list("status").annotate(n=Count("id")).values_list("status", "n")
            },
            kind_label=kind_label(self.source_cls.kind),
            snapshots=StoredSnapshot.objects.filter(source=name)[:10],
            lock=self.lock_state(name),
            chart=runs_per_day(30, source=name),
            webhook_url=reverse("import-webhook", args=[name]),
            schedule_form=kwargs.get("schedule_form")
            or ScheduleForm(
                initial={
                    "kind": "minutes" if schedule and schedule.schedule_type == Schedule.MINUTES else "cron",
                    "cron": schedule.cron if schedule else self.source_cls.schedule().get("cron", ""),
                    "minutes": schedule.minutes if schedule else self.source_cls.schedule().get("minutes"),
                    "paused": bool(schedule and schedule.repeats == 0),
                }
            ),
            settings_form=kwargs.get("settings_form")
            or SourceSettingsForm(
                initial={
                    "enabled": overrides.enabled if overrides else True,
                    "config": json.dumps(overrides.config if overrides else {}, indent=2),
                }
            ),
            default_config=json.dumps(self.source_cls.default_config(), indent=2, default=str, sort_keys=True),
            can_edit_locations=can_edit_locations(self.request.user),
            previewable=hasattr(self.source_cls, "preview"),
            preview_form=kwargs.get("preview_form") or PreviewForm(),
            preview=kwargs.get("preview"),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not can_run(request.user):
            raise PermissionDenied
        name = self.source_cls.name
        if "save_schedule" in request.POST:
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(schedule_form=form))
            schedule = self.schedule() or ensure_source_schedule(name)
            data = form.cleaned_data
            if data["kind"] == "cron":
                schedule.schedule_type, schedule.cron, schedule.minutes = Schedule.CRON, data["cron"], None
            else:
                schedule.schedule_type, schedule.minutes, schedule.cron = Schedule.MINUTES, data["minutes"], None
            schedule.repeats = 0 if data["paused"] else -1
            schedule.save()
            messages.success(request, f"Schedule of {self.source_cls.title} saved: {describe(schedule)}.")
        elif "save_settings" in request.POST:
            form = SourceSettingsForm(request.POST)
            if form.is_valid() and hasattr(self.source_cls, "config_problem"):
                problem = self.source_cls.config_problem(form.cleaned_data["config"])
                if problem:
                    form.add_error("config", problem)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(settings_form=form))
            # Paths and URLs are for administrators only (importers/source_locations.py, issue 16).
            saved = SourceSettings.objects.filter(source=name).values_list("config", flat=True).first() or {}
            changed = changed_locations(saved, form.cleaned_data["config"])
            if changed and not can_edit_locations(request.user):
                form.add_error("config", refusal_message(changed))
                messages.error(request, refusal_message(changed))
                return self.render_to_response(self.get_context_data(settings_form=form), status=403)
            SourceSettings.objects.update_or_create(
                source=name, defaults={"enabled": form.cleaned_data["enabled"], "config": form.cleaned_data["config"]}
            )
            messages.success(request, f"Settings of {self.source_cls.title} saved.")
        elif "preview" in request.POST and hasattr(self.source_cls, "preview"):
            form = PreviewForm(request.POST, request.FILES)
            preview = None
            if form.is_valid():
                source, _ = configured_source(name)
                try:
                    preview = preview_rows(source, form.cleaned_data["file"], form.cleaned_data["rows"])
                except ImporterError as exc:
                    form.add_error("file", str(exc))
            return self.render_to_response(self.get_context_data(preview_form=form, preview=preview))
        return redirect("importers_admin:source", name)


class RunView(ImportsAdminMixin, TemplateView):
    """One run: counts, errors, warnings, diff; the review screen (approve / reject) for needs-review runs."""

    template_name = "importers/admin/run.html"

    def dispatch(self, request, *args, **kwargs):
        self.run = get_object_or_404(
            ImportRun.objects.select_related("snapshot", "requested_by", "reviewed_by", "replay_of"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"Run #{self.run.pk}"

    def get_page_subtitle(self):
        return self.run.source

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        if is_registered(self.run.source):
            items.append({"url": reverse("importers_admin:source", args=[self.run.source]), "label": self.run.source})
        return [*items, {"url": "", "label": f"Run #{self.run.pk}"}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.run
        diff = run.diff or {}
        context.update(
            run=run,
            awaiting_review=run.status == ImportRun.Status.NEEDS_REVIEW and run.reviewed_at is None,
            diff_sections=diff_sections(run),
            guard=guard_summary(diff.get("guard"), dry_run=run.dry_run),
            traceback=diff.get("traceback", ""),
            replays=run.replays.all()[:10],
            snapshot_documents=[
                {**doc, "origin": (doc.get("metadata") or {}).get("url") or (doc.get("metadata") or {}).get("path", "")}
                for doc in (run.snapshot.documents[:50] if run.snapshot else [])
            ],
        )
        return context


DIFF_SECTIONS = (
    # key in ImportRun.diff, what a dry run or a stopped run would do, what a run that went through did
    ("would_create", "would be created", "created"),
    ("would_update", "would be updated", "updated"),
    ("would_unpublish", "would be unpublished", "unpublished"),
)


def diff_sections(run: ImportRun) -> list[dict]:
    """The diff's example lists with their true totals: "59 would be unpublished (showing 20)". Runs recorded
    before the loaders reported totals (`would_*_count`) fall back to the length of the example list."""
    diff = run.diff or {}
    sections = []
    for key, would, did in DIFF_SECTIONS:
        examples = diff.get(key) or []
        count = diff.get(f"{key}_count")
        if not isinstance(count, int):
            count = len(examples)
        if not examples and not count:
            continue
        hypothetical = run.dry_run or key == "would_unpublish" and run.status == ImportRun.Status.NEEDS_REVIEW
        sections.append(
            {
                "key": key,
                "count": count,
                "label": f"{count} {would if hypothetical else did}",
                "examples": [
                    {**item, "type_label": resource_type_label(item.get("resource_type", ""))}
                    if isinstance(item, dict)
                    else item
                    for item in examples
                ],
                "shown": len(examples),
            }
        )
    return sections


def guard_summary(verdict, *, dry_run: bool = False) -> str:
    """The unpublish guard's verdict in one line: "guard: 59 of 300 (20%) > 10% limit → stopped for review"."""
    if not isinstance(verdict, dict) or "missing" not in verdict:
        return ""
    missing, before = verdict.get("missing", 0), verdict.get("published_before", 0)
    share, limit = float(verdict.get("share") or 0), float(verdict.get("limit") or 0)
    tripped, forced = bool(verdict.get("tripped")), bool(verdict.get("forced"))
    text = f"guard: {missing} of {before} ({share:.0%}) {'>' if tripped else '≤'} {limit:.0%} limit"
    if tripped and forced:
        outcome = "forced: would unpublish anyway" if dry_run else "forced: unpublished anyway"
    elif tripped:
        outcome = "would stop for review" if dry_run else "stopped for review"
    else:
        outcome = "would unpublish" if dry_run else "unpublished"
    return f"{text} → {outcome}"


def _check_run_permission(request):
    if not can_run(request.user):
        raise PermissionDenied


@require_POST
def run_source(request, source):
    _check_run_permission(request)
    if not is_registered(source):
        raise Http404("unknown import source")
    dry_run = request.POST.get("dry_run") in ("1", "true", "on")
    force = request.POST.get("force") in ("1", "true", "on")
    enqueue_import(source, trigger=ImportRun.Trigger.MANUAL, dry_run=dry_run, force=force, user_id=request.user.pk)
    label = "Dry run" if dry_run else "Import"
    messages.success(request, f"{label} of {source} queued; it appears in the run history when it starts.")
    return redirect(_next_url(request, fallback=reverse("importers_admin:source", args=[source])))


def _next_url(request, *, fallback: str) -> str:
    """The form's `next` when it is a URL of this site, else `fallback`: a crafted form cannot send an operator to
    another site (an open redirect) after queuing a run."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


@require_POST
def replay_snapshot(request, pk):
    _check_run_permission(request)
    snapshot = get_object_or_404(StoredSnapshot, pk=pk)
    if not is_registered(snapshot.source):
        raise Http404("the snapshot's source is no longer registered")
    dry_run = request.POST.get("dry_run") in ("1", "true", "on")
    enqueue_import(
        snapshot.source,
        trigger=ImportRun.Trigger.MANUAL,
        snapshot_id=snapshot.pk,
        replay=True,
        dry_run=dry_run,
        user_id=request.user.pk,
    )
    messages.success(request, f"Replay of snapshot #{snapshot.pk} of {snapshot.source} queued.")
    return redirect("importers_admin:source", snapshot.source)


@require_POST
def approve(request, pk):
    _check_run_permission(request)
    run = get_object_or_404(ImportRun, pk=pk)
    try:
        approve_run(run, request.user)
    except ImporterError as exc:
        messages.error(request, str(exc))
        return redirect("importers_admin:run", run.pk)
    messages.success(request, f"Run #{run.pk} approved: its snapshot is being imported again with force.")
    return redirect("importers_admin:source", run.source)


@require_POST
def reject(request, pk):
    _check_run_permission(request)
    run = get_object_or_404(ImportRun, pk=pk)
    try:
        reject_run(run, request.user, note=request.POST.get("note", "")[:1000])
    except ImporterError as exc:
        messages.error(request, str(exc))
        return redirect("importers_admin:run", run.pk)
    messages.success(request, f"Run #{run.pk} rejected; the catalogue keeps its current state.")
    return redirect("importers_admin:source", run.source)


@require_POST
def release_lock(request, source):
    """Free a source whose run is dead (the sweeper does the same within minutes; this is for the impatient)."""
    _check_run_permission(request)
    if not is_registered(source):
        raise Http404("unknown import source")
    held = release_lock_by_operator(source, who=f"{request.user.get_username()} in the admin")
    if held is None and not ImportLock.objects.filter(source=source).exists():
        messages.info(request, f"{source} was not locked.")
    else:
        which = f" (run #{held.pk} was marked failed)" if held else ""
        messages.success(request, f"The lock on {source} was released{which}.")
    return redirect("importers_admin:source", source)
