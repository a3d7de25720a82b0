// The community in 3D from our own 3D Tiles, in CesiumJS served from our static files.
// Offline by default — no Cesium ion (no token, imagery, terrain or geocoder): nothing is requested
// from another host. Only when the operator set CESIUM_ION_TOKEN does cfg.ion carry a token, and
// then ion's world terrain and imagery are drawn under our tileset (model3d/ion.py).
// Rooms are features of the tiles (room_id, building, floor, number); their colour comes at run
// time from /3d/status.json (vacant rooms lit), polled with its ETag.

import {groundAfterFirstFrame} from "./ground3d.js";

const C = window.Cesium;
C.Ion.defaultAccessToken = "no-ion-offline";  // never used: nothing of ion is loaded

export const COLOURS = {
  building: "#cfd2d4", room: "#e4e1dc", vacant: "#2e9e5b", selected: "#1e6fd9", highlight: "#f39c12",
  ground: "#eef0ea",
};

export class Village3D {
  constructor(container, cfg, {onPick} = {}) {
    this.cfg = cfg;
    this.vacant = new Set();
    this.share = new Map();  // building id → vacant share, for the coarse (one block per building) level
    this.etag = null;
    this.floor = null;  // null: every floor
    this.selected = null;
    this.highlighted = null;  // building code
    this.onPick = onPick;
    const ion = cfg.ion || null;
    if (ion) {
      C.Ion.defaultAccessToken = ion.token;
      C.Ion.defaultServer = ion.server;
    }
    const viewer = new C.Viewer(container, {
      baseLayer: ion ? C.ImageryLayer.fromProviderAsync(C.IonImageryProvider.fromAssetId(ion.imagery)) : false,
      ...(ion && ion.terrain ? {terrain: C.Terrain.fromWorldTerrain()} : {terrainProvider: new C.EllipsoidTerrainProvider()}),
      geocoder: false,
      baseLayerPicker: false, homeButton: false, sceneModePicker: false, navigationHelpButton: false,
      animation: false, timeline: false, fullscreenButton: false, infoBox: false, selectionIndicator: false,
      skyBox: false, requestRenderMode: true, maximumRenderTimeChange: Infinity,
      contextOptions: {webgl: {preserveDrawingBuffer: true}},
    });
    viewer.scene.globe.baseColor = C.Color.fromCssColorString(COLOURS.ground);
    viewer.scene.globe.showGroundAtmosphere = false;
    viewer.scene.fog.enabled = false;
    // Always lit as at local noon (the sun of the real hour would leave the model dark at night).
    viewer.clock.currentTime = C.JulianDate.fromIso8601("2026-03-21T04:30:00Z");
    viewer.clock.shouldAnimate = false;
    this.viewer = viewer;
    this.colours = Object.fromEntries(Object.entries(COLOURS).map(([k, v]) => [k, C.Color.fromCssColorString(v)]));
    viewer.screenSpaceEventHandler.setInputAction(e => this.pickAt(e.position), C.ScreenSpaceEventType.LEFT_CLICK);
  }

  async load() {
    this.tileset = await C.Cesium3DTileset.fromUrl(this.cfg.tileset, {maximumScreenSpaceError: 16});
    this.viewer.scene.primitives.add(this.tileset);
    if (this.cfg.ion && this.cfg.ion.terrain) await this.standOnTerrain();
    const self = this;
    this.tileset.style = new C.Cesium3DTileStyle();
    this.tileset.style.color = {evaluateColor(feature, result) { return C.Color.clone(self.colourOf(feature), result); }};
    this.tileset.style.show = {evaluate(feature) { return self.shows(feature); }};
    this.loaded = new Promise(resolve => this.tileset.initialTilesLoaded.addEventListener(resolve));
    groundAfterFirstFrame(this, this.cfg.ground);  // the basemap on the ground, after the first frame
    this.tileset.allTilesLoaded.addEventListener(() => { document.body.dataset.tiles = "loaded"; });
    this.tileset.tileLoad.addEventListener(() => { document.body.dataset.tiles = "loading"; });
    await this.refreshStatus();
    return this;
  }

  // Our tileset stands on the ellipsoid; ion's terrain lies at the real ground height (≈1,900 m in
  // Kunming): lift the tileset by the terrain height at its centre so buildings stand on the ground.
  async standOnTerrain() {
    const centre = C.Cartographic.fromCartesian(this.tileset.boundingSphere.center);
    const [ground] = await C.sampleTerrainMostDetailed(this.viewer.terrainProvider, [new C.Cartographic(centre.longitude, centre.latitude)]);
    const base = C.Cartesian3.fromRadians(centre.longitude, centre.latitude, 0);
    const lifted = C.Cartesian3.fromRadians(centre.longitude, centre.latitude, ground.height || 0);
    this.tileset.modelMatrix = C.Matrix4.fromTranslation(C.Cartesian3.subtract(lifted, base, new C.Cartesian3()));
  }

  colourOf(feature) {
    const id = feature.getProperty("room_id");
    if (id === undefined) {  // a whole building (the coarse level): grey to green by its vacant share
      if (feature.getProperty("building") === this.highlighted) return this.colours.highlight;
      const share = this.share.get(feature.getProperty("building_id")) || 0;
      return share ? C.Color.lerp(this.colours.building, this.colours.vacant, Math.min(1, 0.35 + share / 0.5 * 0.65),
                                  new C.Color()) : this.colours.building;
    }
    if (id === this.selected) return this.colours.selected;
    if (this.vacant.has(id)) return this.colours.vacant;
    return feature.getProperty("building") === this.highlighted ? this.colours.highlight : this.colours.room;
  }

  shows(feature) {
    if (this.floor === null) return true;
    const floor = feature.getProperty("floor");
    return floor !== undefined && floor <= this.floor;  // cut the buildings above the chosen floor
  }

  restyle() {
    if (!this.tileset) return;
    this.tileset.makeStyleDirty();
    this.viewer.scene.requestRender();
  }

  setFloor(floor) { this.floor = floor; this.restyle(); }
  highlightBuilding(code) { this.highlighted = code || null; this.restyle(); }
  select(roomId) { this.selected = roomId; this.restyle(); }

  async refreshStatus() {
    const response = await fetch(this.cfg.status, {headers: this.etag ? {"If-None-Match": this.etag} : {}});
    if (response.status === 304) return false;
    const body = await response.json();
    this.etag = response.headers.get("ETag");
    this.vacant = new Set(body.vacant);
    this.share = new Map(Object.entries(body.buildings || {}).map(([id, v]) => [Number(id), v]));
    this.restyle();
    return true;
  }

  poll(seconds) {
    return setInterval(() => this.refreshStatus().catch(() => {}), seconds * 1000);
  }

  // The feature under a window position (x, y in CSS pixels of the canvas), or null.
  featureAt(position) {
    const picked = this.viewer.scene.pick(new C.Cartesian2(position.x, position.y));
    return picked instanceof C.Cesium3DTileFeature ? picked : null;
  }

  pickAt(position) {
    const feature = this.featureAt(position);
    if (!feature) return null;
    const hit = {roomId: feature.getProperty("room_id"), building: feature.getProperty("building"),
                 floor: feature.getProperty("floor"), number: feature.getProperty("number")};
    if (hit.roomId !== undefined) this.select(hit.roomId);
    if (this.onPick) this.onPick(hit);
    return hit;
  }

  // Look at a point from `range` metres, heading/pitch in degrees (pitch negative: from above).
  focus(lon, lat, {range = 250, heading = -12, pitch = -40, duration = 0} = {}) {
    const sphere = new C.BoundingSphere(C.Cartesian3.fromDegrees(lon, lat, 10), 1);
    const offset = new C.HeadingPitchRange(C.Math.toRadians(heading), C.Math.toRadians(pitch), range);
    this.viewer.camera.cancelFlight();
    if (duration) {
      this.viewer.camera.flyToBoundingSphere(sphere, {offset, duration: duration / 1000});
    } else {
      this.viewer.camera.viewBoundingSphere(sphere, offset);
      this.viewer.camera.lookAtTransform(C.Matrix4.IDENTITY);
    }
    this.viewer.scene.requestRender();
  }

  // The community extent [west, south, east, north] seen obliquely.
  overview(extent) {
    const [w, s, e, n] = extent;
    const span = Math.max((e - w) * Math.cos(((s + n) / 2) * Math.PI / 180), n - s) * 111_000;
    this.focus((w + e) / 2, (s + n) / 2, {range: span * 1.1, pitch: -50});
  }
}
