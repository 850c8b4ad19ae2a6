"""Fixtures for the CMS tests: a site with its home page, images, catalogue resources, embeds without network."""

import pytest

from tests.cms.factories import ImageFactory


@pytest.fixture(autouse=True)
def _clean_caches():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def home(home_page):
    return home_page


@pytest.fixture
def image(db):
    return ImageFactory(title="Test image")


@pytest.fixture
def stored_embed(db):
    """The oEmbed answer for the test video URL, stored so that rendering never goes to the network."""
    from cms.demo import ensure_demo_embed

    url = "https://www.youtube.com/watch?v=test123"
    ensure_demo_embed(url, '<iframe title="Test video" src="https://www.youtube-nocookie.com/embed/test123"></iframe>')
    return url


@pytest.fixture
def courses(db):
    from catalog.factories import CourseFactory

    return [CourseFactory(title=f"Course {letter}", runs=1) for letter in "ABC"]
