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
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    error = as_domain_error(exc)
    if error is not None:
        response = Response(error.body(), status=error.status)
        if error.fields.get("retry_after"):
            response["Retry-After"] = str(error.fields["retry_after"])
        return response
    return exception_handler(exc, context)
