"""The API's JSON parser: DRF's, plus a clear 400 for JSON nested too deeply for Python's parser
(`[` × 100 000 raises RecursionError, which DRF does not catch)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON 嵌套过深")) from None
