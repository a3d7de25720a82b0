// Kiosk 3D mode (Kiosk.map_mode == "3d"): the 3D Tiles model in CesiumJS behind the small part of
// the MapLibre GL JS interface that kiosk.js uses (Map, Marker, flyTo, easeTo, click, the
// selected-building filter, refreshing after a change). kiosk.js imports this module instead of
// maplibre-gl, so the list, filters, cards and idle rotation are the same in both modes.
import {Village3D} from "../model3d/village3d.js";

const cfg = JSON.parse(document.getElementById("kiosk-config").textContent);
const C = window.Cesium;

// MapLibre zoom/pitch/bearing → a camera range, pitch and heading that show about the same.
function cameraFor(options, canvas) {
  const [lon, lat] = options.center;
  const metresPerPixel = 78271.517 * Math.cos(lat * Math.PI / 180) / 2 ** (options.zoom ?? 16.6);
  return {lon, lat, range: metresPerPixel * canvas.clientHeight * 0.87,
          heading: options.bearing ?? -12, pitch: -(90 - (options.pitch ?? 55))};
}

export class Map {
  constructor(options) {
    const container = typeof options.container === "string" ? document.getElementById(options.container) : options.container;
    this.handlers = {load: [], click: []};
    this.ready = false;
    this.village = new Village3D(container, cfg.map3d, {
      onPick: () => {},  // kiosk.js decides what a tap opens (the building's floors)
    });
    this.view = {center: options.center, zoom: options.zoom, pitch: options.pitch, bearing: options.bearing};
    this._go(this.view, 0);
    this.village.viewer.screenSpaceEventHandler.setInputAction(e => {
      this.village.pickAt(e.position);
      this.handlers.click.forEach(cb => cb({point: {x: e.position.x, y: e.position.y}}));
    }, C.ScreenSpaceEventType.LEFT_CLICK);
    this.village.load().then(() => this.village.loaded).then(() => {
      this.ready = true;
      this.handlers.load.forEach(cb => cb());
    });
  }

  _go(options, duration) {
    this.view = {...this.view, ...options};
    const c = cameraFor(this.view, this.village.viewer.canvas);
    this.village.focus(c.lon, c.lat, {range: c.range, heading: c.heading, pitch: c.pitch, duration});
  }

  on(type, cb) { (this.handlers[type] ||= []).push(cb); if (type === "load" && this.ready) cb(); return this; }
  loaded() { return this.ready; }
  addLayer() { return this; }
  getLayer(id) { return id === "selected-building"; }
  setFilter(id, filter) { if (id === "selected-building") this.village.highlightBuilding(filter?.[2] || null); }
  getSource() { return {setTiles: () => this.village.refreshStatus().catch(() => {})}; }
  flyTo(options) { this._go(options, options.duration ?? 1200); return this; }
  easeTo(options) { this._go(options, options.duration ?? 800); return this; }
  queryRenderedFeatures(point) {
    const f = this.village.featureAt(point);
    if (!f) return [];
    const code = f.getProperty("building");
    return [{properties: {building: code, code, room_id: f.getProperty("room_id"), floor: f.getProperty("floor")}}];
  }
}

export class Marker {
  constructor({element} = {}) { this.text = element ? element.textContent.trim() : ""; }
  setLngLat(lngLat) { this.lngLat = lngLat; return this; }
  addTo(map) {
    map.village.viewer.entities.add({
      position: C.Cartesian3.fromDegrees(this.lngLat[0], this.lngLat[1], 2),
      point: {pixelSize: 16, color: C.Color.fromCssColorString("#e74c3c"), outlineColor: C.Color.WHITE, outlineWidth: 3,
              disableDepthTestDistance: Number.POSITIVE_INFINITY},
      label: {text: this.text, font: "bold 20px 'Noto Sans CJK SC', sans-serif", fillColor: C.Color.WHITE,
              outlineColor: C.Color.fromCssColorString("#c0392b"), outlineWidth: 4, style: C.LabelStyle.FILL_AND_OUTLINE,
              pixelOffset: new C.Cartesian2(0, -28), disableDepthTestDistance: Number.POSITIVE_INFINITY},
    });
    map.village.viewer.scene.requestRender();
    return this;
  }
}
