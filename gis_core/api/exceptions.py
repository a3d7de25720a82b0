"""Errors as JSON with the right status: domain and constraint errors never become a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


def handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        # A database rule (unique number on a floor, capacity, one open tenancy…) refused the change.
        return Response({"detail": str(exc).split("\n")[0]}, status=status.HTTP_409_CONFLICT)
    return exception_handler(exc, context)
