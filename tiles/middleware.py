"""Tiles do not depend on the language: drop the `Vary: Accept-Language` LocaleMiddleware adds.

Left in, it would make nginx (or any cache in front of us) keep one copy of every tile per
browser language, and it would differ from what the WSGI fast path answers for cached tiles.
Placed above LocaleMiddleware, so it sees the response after LocaleMiddleware patched it.
"""



class TilesIgnoreLanguage:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Errors keep it: their message is in the request's language.
        if request.path_info.startswith("/tiles/") and response.status_code < 400 and response.has_header("Vary"):
            kept = [v.strip() for v in response["Vary"].split(",") if v.strip().lower() != "accept-language"]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
