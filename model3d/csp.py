"""The one relaxation of the Content-Security-Policy (project/settings.py), for pages running CesiumJS.

CesiumJS (1.145) does three things a strict policy refuses, on the two pages drawing the 3D model
— /3d/ and a kiosk in 3D mode — and only there are they allowed, each as narrowly as it can be:
- it bundles Knockout, which finds the global object with `(0, eval)("this")` while Cesium.js
  loads; refused, no 3D view starts: 'unsafe-eval' (which also covers the WebAssembly it compiles);
- its credit display adds one fixed <style> element: allowed by its hash;
- its web workers (the globe's tiles, ground-clamped geometry: model3d/ground.py) start from a blob:
  script that imports the bundled worker code as another blob: — without blob: in script-src the
  globe never draws its tiles (nothing to drape the basemap on): 'blob:' (scripts we made, no host);
- it tests for `image-rendering` support with a style attribute, and writes one into its credit
  wrapper: those fixed attribute values, allowed by their hashes ('unsafe-hashes').
Every other page, and the rest of these pages' policy (scripts and other styles only from our
origin or with the response's nonce), stays strict. A CesiumJS upgrade that changes one of these
fails tests/hardening/test_csp_pages.py, which names the new hash.
"""

from __future__ import annotations

from csp.constants import NONCE, SELF, UNSAFE_EVAL, UNSAFE_HASHES

STYLE_ELEMENT_HASHES = ["'sha256-gM2CWYHXIHTu7Ts6ncwv0GMWZ9LXGrz2qqqjyuDojl8='"]
STYLE_ATTRIBUTE_HASHES = ["'sha256-BVJq0J0CcoIBO7ikkmisQ5kYoOnqxRUC37ihQ3YWZQQ='",
                          "'sha256-GU5zilGWFiRrmr4xJeDjQZKuKRcLO8ZT+o0Avfni8Sw='"]


def allow_cesium(response):
    # django-csp's per-response update: added to the directives of CONTENT_SECURITY_POLICY
    response._csp_update = {
        "script-src": [UNSAFE_EVAL, "blob:"],
        "style-src-elem": [SELF, NONCE, *STYLE_ELEMENT_HASHES],
        "style-src-attr": [UNSAFE_HASHES, *STYLE_ATTRIBUTE_HASHES],
    }
    return response
