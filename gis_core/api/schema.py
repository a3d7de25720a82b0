"""OpenAPI pieces every API shares: the error body of the one error contract, and the answers
of views whose bodies are free-form JSON (documented as objects, so the schema and the answers agree)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorOut(serializers.Serializer):
    """`{"detail": message, **fields}`: field errors keep their names beside `detail`."""

    detail = serializers.CharField()


def answers(ok=OpenApiTypes.OBJECT, *errors: int, description: str = "") -> dict:
    """responses= for extend_schema: `ok` for 200, the error body for each status in `errors`."""
    out = {200: OpenApiResponse(ok, description=description) if description else ok}
    out.update({status: ErrorOut for status in (errors or (400, 403, 404))})
    return out
