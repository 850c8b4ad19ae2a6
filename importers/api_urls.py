"""REST API URLs of the importers app, mounted under /api/v1/."""

urlpatterns = []
