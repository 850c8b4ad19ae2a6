"""GET /api/v1/me/: who the API takes the caller to be (a person or a service), 401 when nobody."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .api_auth import auth_method, is_service


class IsPersonOrService(permissions.BasePermission):
    """A signed-in user (session or bearer token) or a service's API key."""

    message = "authentication required: a bearer token, an API key or a signed-in session"

    def has_permission(self, request, view):
        if (request.user and request.user.is_authenticated) or is_service(request):
            return True
        # Raised here so that the 401 says which credentials are accepted (DRF's default names none).
        raise exceptions.NotAuthenticated(self.message)


class MeUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text="Display name, else full name; empty when the account has neither.")
    email = serializers.EmailField(allow_blank=True)
    groups = serializers.ListField(child=serializers.CharField(), help_text="Roles: the user's group names.")
    is_staff = serializers.BooleanField(help_text="May use the admin.")
    is_superuser = serializers.BooleanField()


class MeServiceSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The service the API key was created for.")
    key_prefix = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    auth_method = serializers.ChoiceField(choices=["session", "bearer", "api_key"])
    user = MeUserSerializer(allow_null=True, help_text="The person; null for a service.")
    service = MeServiceSerializer(allow_null=True, help_text="The service; null for a person.")


class MeErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class MeAPIView(APIView):
    """The caller as the API sees it."""

    permission_classes = [IsPersonOrService]

    @extend_schema(
        operation_id="me",
        summary="Who am I: the signed-in user or the service",
        description="A person (session cookie, or a bearer token from the identity provider): id, username, name, "
        "email and groups (roles). A service (API key): the key's name. 401 without valid credentials; 503 when "
        "the identity provider could not be reached to check a bearer token.",
        responses={200: MeSerializer, 401: MeErrorSerializer, 503: MeErrorSerializer},
        tags=["accounts"],
    )
    def get(self, request):
        if is_service(request):
            key = request.auth
            data = {
                "auth_method": "api_key",
                "user": None,
                "service": {"name": key.name, "key_prefix": key.prefix, "expires_at": key.expires_at},
            }
        else:
            user = request.user
            data = {
                "auth_method": auth_method(request),
                "user": {
                    "id": user.pk,
                    "username": user.get_username(),
                    "name": user.display_name or user.get_full_name(),
                    "email": user.email,
                    "groups": sorted(user.groups.values_list("name", flat=True)),
                    "is_staff": user.is_staff,
                    "is_superuser": user.is_superuser,
                },
                "service": None,
            }
        response = Response(MeSerializer(data).data)
        response["Cache-Control"] = "private, no-store"
        return response
