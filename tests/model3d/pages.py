"""Scripts the 3D page tests run in the browser."""

FIND_ROOM = """() => {
  const c = village3d.viewer.canvas;
  for (let y = 80; y < c.clientHeight - 20; y += 12)
    for (let x = 20; x < c.clientWidth - 20; x += 12) {
      const f = village3d.featureAt({x, y});
      const box = c.getBoundingClientRect();  // x, y: page coordinates for a real click
      // only where the canvas is on top: a panel over the map (the kiosk's list) would take the click
      if (f && f.getProperty('room_id') !== undefined && document.elementFromPoint(box.left + x, box.top + y) === c) {
        return {x: box.left + x, y: box.top + y, id: f.getProperty('room_id'), floor: f.getProperty('floor'),
                building: f.getProperty('building')};
      }
    }
  return null;
}"""
