// The offline basemap on the 3D ground: one GeoJSON per community from /3d/ground/<code>.json
// (model3d/ground.py) drawn as a handful of batched primitives, clamped to the ground and never
// painted on the buildings (classification of the globe only):
//   landuse and water polygons — one GroundPrimitive each;  roads and rivers — one GroundPrimitive
//   of corridors, width in ground metres by class;  walls — one GroundPolylinePrimitive of thin
//   lines;  gates — a PointPrimitiveCollection, main gates and place names labelled up close.
// Loaded after the model's first frame (the caller waits for it), from our own server only.
// Built synchronously on the main thread (`asynchronous: false`): a community's ground is a few
// hundred small shapes (milliseconds), and Cesium's asynchronous path would start web workers
// from blob: scripts, which our Content-Security-Policy refuses (model3d/csp.py) — no need to
// loosen it for this.

const C = window.Cesium;

const colour = (css, alpha = 1) => C.Color.fromCssColorString(css).withAlpha(alpha);
const degrees = ring => C.Cartesian3.fromDegreesArray(ring.flat());
const lines = g => (g.type === "LineString" ? [g.coordinates] : g.type === "MultiLineString" ? g.coordinates : []);
const polygons = g => (g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : []);

function instance(geometry, css, alpha, id) {
  return new C.GeometryInstance({geometry, id, attributes: {color: C.ColorGeometryInstanceAttribute.fromColor(colour(css, alpha))}});
}

function groundPrimitive(instances, translucent) {
  if (!instances.length) return null;
  return new C.GroundPrimitive({
    geometryInstances: instances, classificationType: C.ClassificationType.TERRAIN, asynchronous: false,
    appearance: new C.PerInstanceColorAppearance({flat: true, translucent}),
  });
}

export class Ground3D {
  constructor(viewer) {
    this.viewer = viewer;
    this.primitives = [];
    this.counts = {};
  }

  // Fetch each URL (one per community) and draw what comes back; resolves when drawn.
  async load(urls) {
    const bodies = await Promise.all(urls.map(u => fetch(u).then(r => (r.ok ? r.json() : null)).catch(() => null)));
    const features = bodies.filter(Boolean).flatMap(b => b.features);
    const colours = (bodies.find(Boolean) || {}).colours;
    if (!colours || !features.length) return this;
    // Synchronous ground primitives need the approximate terrain heights (a file of Cesium's own Assets).
    await Promise.all([C.GroundPrimitive.initializeTerrainHeights(), C.GroundPolylinePrimitive.initializeTerrainHeights()]);
    this.draw(features, colours);
    await Promise.all(this.primitives.map(p => this._ready(p)));
    this.viewer.scene.requestRender();
    return this;
  }

  _ready(primitive) {
    // Ground primitives build their geometry in workers and get ready only while the scene renders
    // (requestRenderMode): keep asking for frames until they are.
    return new Promise(resolve => {
      const check = () => {
        if (primitive.ready !== false) return resolve();
        this.viewer.scene.requestRender();
        setTimeout(check, 50);
      };
      check();
    });
  }

  draw(features, colours) {
    const by = {landuse: [], water: [], road: [], waterway: [], wall: [], gate: [], place: []};
    for (const f of features) (by[f.properties.layer] || []).push(f);
    const area = (list, css, alpha) => list.flatMap(f => polygons(f.geometry).map(p => instance(
      new C.PolygonGeometry({polygonHierarchy: new C.PolygonHierarchy(degrees(p[0]), p.slice(1).map(h => new C.PolygonHierarchy(degrees(h))))}),
      typeof css === "function" ? css(f) : css, alpha, f.properties.layer)));
    const corridor = (list, css) => list.flatMap(f => lines(f.geometry).filter(l => l.length > 1).map(l => instance(
      new C.CorridorGeometry({positions: degrees(l), width: f.properties.width, cornerType: C.CornerType.ROUNDED}),
      typeof css === "function" ? css(f) : css, 1, f.properties.layer)));
    const landuse = f => colours.landuse[f.properties.kind] || colours.landuse_other;
    const road = f => (f.properties.rank <= 2 ? colours.major : f.properties.rank === 5 ? colours.path : colours.road);
    // Drawn in this order, each over the one before: landuse, water, then streets and rivers.
    this._add(groundPrimitive(area(by.landuse, landuse, 0.7), true));
    this._add(groundPrimitive([...area(by.water, colours.water, 1), ...corridor(by.waterway, colours.water)], false));
    this._add(groundPrimitive(corridor(by.road, road), false));
    const walls = by.wall.flatMap(f => lines(f.geometry).filter(l => l.length > 1).map(l => new C.GeometryInstance({
      geometry: new C.GroundPolylineGeometry({positions: degrees(l), width: 2}), id: "wall",
      attributes: {color: C.ColorGeometryInstanceAttribute.fromColor(colour(colours.wall))}})));
    if (walls.length) {
      this._add(new C.GroundPolylinePrimitive({geometryInstances: walls, classificationType: C.ClassificationType.TERRAIN,
                                               asynchronous: false,
                                               appearance: new C.PolylineColorAppearance()}));
    }
    const points = new C.PointPrimitiveCollection();
    const labels = new C.LabelCollection();
    const near = new C.DistanceDisplayCondition(0, 900);
    for (const f of by.gate) {
      const [lon, lat] = f.geometry.coordinates;
      const position = C.Cartesian3.fromDegrees(lon, lat, 1.5);
      points.add({position, pixelSize: f.properties.main ? 9 : 6, color: colour(f.properties.main ? colours.gate : "#d9a066"),
                  outlineColor: C.Color.WHITE, outlineWidth: 1.5});
      if (f.properties.main && f.properties.name) labels.add(this._label(position, f.properties.name, colours.gate, 14, near));
    }
    for (const f of by.place) {
      const [lon, lat] = f.geometry.coordinates;
      labels.add(this._label(C.Cartesian3.fromDegrees(lon, lat, 40), f.properties.name, "#3d3d3d", 18,
                             new C.DistanceDisplayCondition(0, 6000)));
    }
    this._add(points);
    this._add(labels);
    this.counts = Object.fromEntries(Object.entries(by).map(([k, v]) => [k, v.length]));
  }

  _label(position, text, css, size, distanceDisplayCondition) {
    return {position, text, font: `${size}px 'Noto Sans CJK SC', sans-serif`, fillColor: colour(css),
            outlineColor: C.Color.WHITE, outlineWidth: 3, style: C.LabelStyle.FILL_AND_OUTLINE,
            verticalOrigin: C.VerticalOrigin.BOTTOM, distanceDisplayCondition};
  }

  _add(primitive) {
    if (!primitive) return;
    const ground = primitive instanceof C.GroundPrimitive || primitive instanceof C.GroundPolylinePrimitive;
    (ground ? this.viewer.scene.groundPrimitives : this.viewer.scene.primitives).add(primitive);
    this.primitives.push(primitive);
  }

  set show(value) {
    for (const p of this.primitives) p.show = value;
    this.viewer.scene.requestRender();
  }
}

// Draw the ground of `urls` under a Village3D once its first frame is on screen.
export function groundAfterFirstFrame(village, urls) {
  if (!urls || !urls.length) return null;
  const ground = new Ground3D(village.viewer);
  village.ground = ground;
  ground.ready = village.loaded
    .then(() => new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0))))
    .then(() => ground.load(urls))
    .then(() => { document.body.dataset.ground = "loaded"; return ground; });
  return ground;
}
