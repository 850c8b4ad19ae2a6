"""Import source settings that name server paths or URLs are for administrators only (issue 16)."""

from django.contrib.auth.models import Group

import pytest

from importers.models import SourceSettings
from importers.source_locations import changed_locations, location_keys

pytestmark = pytest.mark.django_db

SOURCE = "csv_catalog"
PAGE = f"/admin/imports/{SOURCE}/"


def signed_in(client, django_user_model, username, *groups):
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw")
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    client.force_login(user, backend="cms.accounts.backends.LocalPasswordBackend")
    return client


@pytest.fixture
def operator(client, django_user_model):
    return signed_in(client, django_user_model, "operator", "Import operators")


@pytest.mark.parametrize(
    "config",
    [
        {"path": "/etc/passwd"},
        {"url": "file:///etc/passwd"},
        {"url": "http://169.254.169.254/latest/meta-data/"},
        {"location": "s3://someone-elses-bucket/"},
        {"mapping": {"title": "name"}, "extra": {"where": "../../etc/shadow"}},
        {"token_url": "https://attacker.example.com/steal"},
    ],
)
def test_an_import_operator_cannot_point_a_source_at_a_path_or_url(operator, config):
    import json

    response = operator.post(PAGE, {"save_settings": "1", "enabled": "on", "config": json.dumps(config)})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only administrators may change where this source reads from" in html
    assert not SourceSettings.objects.filter(source=SOURCE).exists()


def test_an_import_operator_may_change_the_rest_and_keep_an_administrators_path(operator):
    SourceSettings.objects.create(source=SOURCE, config={"path": "/srv/exports/catalogue.csv"})
    page = operator.get(PAGE).content.decode()
    assert "can be changed by administrators only" in page
    config = '{"path": "/srv/exports/catalogue.csv", "mapping": {"title": "Course Name"}, "separators": ";"}'
    response = operator.post(PAGE, {"save_settings": "1", "enabled": "on", "config": config})
    assert response.status_code == 302
    assert SourceSettings.objects.get(source=SOURCE).config["mapping"] == {"title": "Course Name"}
    # Dropping the path falls back to the operator's environment settings: allowed.
    response = operator.post(PAGE, {"save_settings": "1", "enabled": "on", "config": "{}"})
    assert response.status_code == 302 and SourceSettings.objects.get(source=SOURCE).config == {}


def test_administrators_and_superusers_may_set_paths(client, django_user_model):
    signed_in(client, django_user_model, "admin-role", "Administrators")
    response = client.post(PAGE, {"save_settings": "1", "enabled": "on", "config": '{"path": "/srv/a.csv"}'})
    assert response.status_code == 302
    assert SourceSettings.objects.get(source=SOURCE).config == {"path": "/srv/a.csv"}
    boss = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(boss, backend="cms.accounts.backends.LocalPasswordBackend")
    response = client.post(
        PAGE, {"save_settings": "1", "enabled": "on", "config": '{"url": "https://x.example/a.csv"}'}
    )
    assert response.status_code == 302


def test_location_detection():
    assert location_keys({"separators": "|;", "mapping": {"title": "Title"}, "topics": ["AI"]}) == set()
    assert location_keys({"courses_url": "", "bucket": "b", "prefix": "p/", "config_path": ""}) == {
        "courses_url",
        "bucket",
        "prefix",
        "config_path",
    }
    assert location_keys({"sources": [{"sitemap": "https://a.example/sitemap.xml"}]}) == {"sources"}
    assert changed_locations({"url": "https://a"}, {"url": "https://a", "offered_by": "MIT"}) == []
    assert changed_locations({"url": "https://a"}, {"url": "https://b"}) == ["url"]
