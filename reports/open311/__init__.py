"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) over the reports app, so existing
311 clients can list categories, submit reports and follow them. Submitting goes through
reports.services.submit like the phone page; public listings carry no reporter data and place
sensitive categories at the centre of their mesh."""
