"""Imported HTML keeps its content, links and images and loses everything that could run."""

from catalog.sanitize import clean_html, html_to_text


def test_scripts_styles_and_event_handlers_are_removed():
    html = '<p onclick="steal()">Hi<script>alert(1)</script><style>p{color:red}</style></p><iframe src="x"></iframe>'

    assert clean_html(html) == "<p>Hi</p>"


def test_javascript_and_data_urls_are_dropped():
    cleaned = clean_html('<a href="javascript:alert(1)">a</a><img src="data:image/png;base64,xx" alt="d">')

    assert "javascript" not in cleaned
    assert "data:" not in cleaned
    assert '<img alt="d">' in cleaned


def test_links_and_images_are_kept_and_relative_urls_resolved():
    cleaned = clean_html(
        '<p><a href="/courses/6-001">course</a> <img src="img/a.png" alt="A"> <a href="#top">top</a></p>',
        base_url="https://ocw.mit.edu/courses/16-01/pages/syllabus/",
    )

    assert '<a href="https://ocw.mit.edu/courses/6-001" rel="noopener noreferrer">course</a>' in cleaned
    assert '<img src="https://ocw.mit.edu/courses/16-01/pages/syllabus/img/a.png" alt="A">' in cleaned
    assert 'href="#top"' in cleaned


def test_without_base_url_relative_links_stay_relative():
    assert clean_html('<a href="/x">x</a>') == '<a href="/x" rel="noopener noreferrer">x</a>'


def test_empty_and_plain_text():
    assert clean_html(None) == ""
    assert clean_html("") == ""
    assert clean_html("Fish & chips") == "Fish &amp; chips"


def test_html_to_text():
    assert html_to_text("<p>A &amp; B</p><script>x()</script><p>C</p>") == "A & B C"
    assert html_to_text(None) == ""
