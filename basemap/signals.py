from django.dispatch import Signal

# Sent inside basemap.services.replace_extract's transaction once an extract's features are in
# place (kwargs: extract_id; models: the feature models whose rows were replaced). Receivers
# derive what they keep from the basemap (routes/).
extract_replaced = Signal()
