"""REST API URLs of the search app, mounted under /api/v1/."""

urlpatterns = []
