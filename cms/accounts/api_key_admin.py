"""The API keys' admin (Settings → API keys): create a key (shown once), set its expiry, revoke it.

Creating and revoking need the model permissions on ApiKey (administrators have them); a revoked key stays listed as
the record of who had access."""

from django import forms
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic.models import CreateView
from wagtail.admin.viewsets.model import ModelViewSet

from cms.models import ApiKey

from .api_keys import issue_key


class ApiKeyForm(WagtailAdminModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "owner", "expires_at"]


class ApiKeyEditForm(ApiKeyForm):
    revoke = forms.BooleanField(
        required=False,
        label="Revoke this key",
        help_text="The key is refused from the moment you save; this cannot be undone (create a new key instead).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.revoked_at:
            self.fields["revoke"].initial = True
            self.fields["revoke"].disabled = True
            self.fields["revoke"].help_text = f"Revoked on {self.instance.revoked_at:%Y-%m-%d %H:%M} UTC."

    def save(self, commit=True):
        if self.cleaned_data.get("revoke") and not self.instance.revoked_at:
            self.instance.revoked_at = timezone.now()
        return super().save(commit=commit)


class ApiKeyCreateView(CreateView):
    def save_instance(self):
        # The plain key exists only in this response: it is rendered once and never stored.
        self.raw_key = issue_key(self.form.instance)
        return super().save_instance()

    def save_action(self):
        response = TemplateResponse(
            self.request,
            "accounts/api_key_created.html",
            {
                "api_key": self.object,
                "raw_key": self.raw_key,
                "index_url": reverse(self.index_url_name),
                "header_title": f"API key created: {self.object.name}",
                "page_title": f"API key created: {self.object.name}",
                "header_icon": "key",
            },
        )
        response["Cache-Control"] = "private, no-store"
        return response


class ApiKeyViewSet(ModelViewSet):
    model = ApiKey
    icon = "key"
    menu_label = "API keys"
    add_to_settings_menu = True
    name = "api_keys"
    list_display = ["name", "prefix", "owner", "status", "created_at", "last_used_at", "expires_at"]
    list_filter = ["owner"]
    search_fields = ["name", "prefix"]
    add_view_class = ApiKeyCreateView
    # A copy would be a second row without a secret of its own; a new key is created, never copied.
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return ApiKeyEditForm if for_update else ApiKeyForm


api_key_viewset = ApiKeyViewSet()
