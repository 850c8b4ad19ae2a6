"""REST API URLs of the news app, mounted under /api/v1/."""

urlpatterns = []
