"""Small feeds in the real formats, for tests that must always run."""

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Example news</title>
  <link>https://news.example.org/</link>
  <description>Example</description>
  <item>
    <title>First &amp;amp; foremost</title>
    <link>https://news.example.org/2026/first</link>
    <guid isPermaLink="false">urn:example:1</guid>
    <pubDate>Mon, 02 Nov 2026 09:30:00 -0500</pubDate>
    <dc:creator>Ana Writer</dc:creator>
    <category>Machine Learning</category>
    <description>The first item.</description>
    <content:encoded><![CDATA[<p>Body with <a href="/2026/related">a relative link</a>
      and <img src="/img/pic.jpg" alt="pic"></p>]]></content:encoded>
  </item>
  <item>
    <title>Second</title>
    <link>https://news.example.org/2026/second</link>
    <guid>urn:example:2</guid>
    <pubDate>yesterday-ish</pubDate>
    <description>No readable date.</description>
  </item>
  <item>
    <title>Second again</title>
    <link>https://news.example.org/2026/second</link>
    <guid>urn:example:2</guid>
    <pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate>
  </item>
</channel>
</rss>
"""

XSS_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Hostile</title>
  <link>https://evil.example.org/</link>
  <item>
    <title>Hostile &lt;script&gt;alert('title')&lt;/script&gt;</title>
    <link>https://evil.example.org/post</link>
    <guid>urn:evil:1</guid>
    <pubDate>Mon, 02 Nov 2026 09:30:00 GMT</pubDate>
    <description><![CDATA[<p onclick="alert('summary')">Summary</p><script>alert('summary')</script>]]></description>
    <content:encoded><![CDATA[
      <p>Hello</p>
      <script>alert('xss')</script>
      <img src="/pic.png" onerror="alert('img')">
      <a href="javascript:alert('link')">click</a>
      <a href="JaVaScRiPt:alert('link2')">click2</a>
      <iframe src="https://evil.example.org/frame"></iframe>
      <style>body{display:none}</style>
      <svg onload="alert('svg')"></svg>
      <a href="/safe">safe link</a>
    ]]></content:encoded>
  </item>
</channel>
</rss>
"""

MALFORMED_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Broken</title><link>https://broken.example.org/</link>
<item><title>Recovered one</title><link>https://broken.example.org/1</link><guid>b1</guid>
<pubDate>Mon, 02 Nov 2026 09:30:00 GMT</pubDate></item>
<item><title>Recovered two & unescaped</title><link>https://broken.example.org/2</link><guid>b2</guid>
<pubDate>Mon, 02 Nov 2026 09:30:00 GMT</pubDate></item>
<item><title>Cut off
"""

EMPTY_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title>
<link>https://empty.example.org/</link></channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom example</title>
  <link href="https://atom.example.org/"/>
  <id>urn:atom</id>
  <updated>2026-11-02T10:00:00Z</updated>
  <entry>
    <title>Atom entry</title>
    <link href="/entries/1"/>
    <id>urn:atom:1</id>
    <updated>2026-11-02T10:00:00+01:00</updated>
    <author><name>Bo Author</name></author>
    <summary type="html">&lt;b&gt;Bold&lt;/b&gt; summary</summary>
  </entry>
</feed>
"""
