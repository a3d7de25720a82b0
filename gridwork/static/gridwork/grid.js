// The grid worker's map: our own tiles and style, their grids outlined, the buildings to visit
// marked (numbers: how many reasons). Nothing is fetched from another host.
const script = document.getElementById("grid-script");
const config = JSON.parse(document.getElementById("grid-config").textContent);

const maplibregl = await import(script.dataset.maplibre);
const style = await (await fetch(config.style, {credentials: "same-origin"})).json();
const options = {container: "map", style, localIdeographFontFamily: false, attributionControl: false,
                 fadeDuration: 0, dragRotate: false, pitchWithRotate: false};
if (config.bounds) {
  options.bounds = config.bounds;
  options.fitBoundsOptions = {padding: 24};
}
const map = new maplibregl.Map(options);
map.touchZoomRotate.disableRotation();
map.addControl(new maplibregl.NavigationControl({showCompass: false}), "top-right");
map.on("load", () => {
  const mine = ["in", ["get", "code"], ["literal", config.grids]];
  map.addLayer({id: "my-grids-line", type: "line", source: "village", "source-layer": "grids", filter: mine,
                paint: {"line-color": "#1f6fb2", "line-width": 4}});
  map.addLayer({id: "my-meshes-line", type: "line", source: "village", "source-layer": "meshes", filter: mine,
                paint: {"line-color": "#1f6fb2", "line-width": 3}});
  map.addSource("visits", {type: "geojson", data: config.visits});
  map.addLayer({id: "visits", type: "circle", source: "visits",
                paint: {"circle-radius": 11, "circle-color": "#b45309", "circle-stroke-color": "#fff", "circle-stroke-width": 2}});
  map.addLayer({id: "visits-count", type: "symbol", source: "visits",
                layout: {"text-field": ["to-string", ["get", "count"]], "text-font": style.metadata["maplibre:font-families"],
                         "text-size": 12, "text-allow-overlap": true},
                paint: {"text-color": "#fff"}});
  map.on("click", "visits", (e) => {
    const code = e.features[0].properties.code;
    const item = document.querySelector(`li.visit[data-building="${CSS.escape(code)}"]`);
    if (item) item.scrollIntoView({behavior: "smooth", block: "center"});
  });
});
map.once("idle", () => { document.body.dataset.mapReady = "1"; });
window.gridMap = map;
