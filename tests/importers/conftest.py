import pytest

from importers import registry

from .fakes import FAKE, FakeCourses


@pytest.fixture
def fake_source():
    """Register the fake source; `configure(**config)` sets what it serves (as admin overrides would)."""
    registry.register(FakeCourses)
    yield FakeCourses
    registry.unregister(FAKE)


@pytest.fixture
def configure(db, fake_source):
    from importers.models import SourceSettings

    def _configure(**config):
        row, _ = SourceSettings.objects.get_or_create(source=FAKE)
        row.config = {**row.config, **config}
        row.save()
        return row

    return _configure


@pytest.fixture
def allow_local_http(settings):
    settings.IMPORTER_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    return settings
