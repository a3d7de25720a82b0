"""limit/offset paging with bounds: a number PostgreSQL cannot take (bigint overflow) or a
negative one is the client's mistake, answered 400 here instead of a database error."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 10_000_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 1000

    def _bounded(self, request, name: str, default, maximum: int):
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or int(raw) > maximum:
            raise ValidationError({name: [_("须为 0 到 %(max)s 之间的整数") % {"max": maximum}]})
        return int(raw)

    def get_limit(self, request):
        # Up to a billion is read and clamped to max_limit, as DRF does; beyond that, a 400.
        limit = self._bounded(request, self.limit_query_param, self.default_limit, 10 ** 9)
        return min(limit, self.max_limit) or self.default_limit

    def get_offset(self, request):
        return self._bounded(request, self.offset_query_param, 0, MAX_OFFSET)
