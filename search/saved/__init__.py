"""Saved searches, their email digests and the "My learning" page (issue 16).

- `models.py`: `SavedSearch` (query + facet filters + mode, a name, digest frequency) and `DigestDelivery` (one row
  per subscriber, frequency and period: what was sent, so that a digest is sent at most once).
- `service.py`: creating and changing saved searches from /search/ parameters.
- `digests.py`: the scheduled digest run (`send_due_digests`), one email per subscriber per period.
- `tokens.py`: signed one-click unsubscribe tokens.
- `views.py`/`urls.py`: /my/ (My learning), saving a search, unsubscribe; `api.py`: /api/v1/saved-searches/.
"""
