"""The API's exception handler: DRF's own errors keep DRF's shape ({"detail": …} or field
errors from serializers); domain and database errors go through the one contract in
gis_core/http_errors.py, so they never become a 500 nor show database text."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from gis_core.http_errors import as_domain_error


def handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
        return Response(with_detail(detail), status=status.HTTP_400_BAD_REQUEST)
    error = as_domain_error(exc)
    if error is not None:
        response = Response(error.body(), status=error.status)
        if error.fields.get("retry_after"):
            response["Retry-After"] = str(error.fields["retry_after"])
        return response
    response = exception_handler(exc, context)
    if response is not None:
        response.data = with_detail(response.data)
    return response


def _first_message(value) -> str:
    while isinstance(value, (list, dict)) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return str(value)


def with_detail(data):
    """Serializer field errors keep their keys and gain the contract's `detail` (the first message),
    so every 4xx body has `detail`, as the schema documents."""
    if isinstance(data, dict):
        if "detail" not in data and data:
            field, messages = next(iter(data.items()))
            data = {"detail": f"{field}: {_first_message(messages)}", **data}
        return data
    if isinstance(data, list):
        return {"detail": "; ".join(_first_message(m) for m in data) or str(data)}
    return data
