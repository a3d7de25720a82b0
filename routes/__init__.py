"""Walking routes on the basemap's alley network (pgRouting): from a kiosk or a phone to a building."""
