// The service hall's wall display: a map from our own tiles and style, live figures and charts.
//
// It runs for days, so nothing is created per refresh: the four charts are made once and fed
// new data with setOption, figures are written into existing elements, one timer polls the data
// endpoint with its ETag (an unchanged answer is a 304 and costs nothing), and the map reloads
// its tiles only when a grid's rooms or colour changed.
const script = document.getElementById("screen-script");
const config = JSON.parse(document.getElementById("screen-config").textContent);
const S = config.strings;
const [maplibregl, echarts] = await Promise.all([import(script.dataset.maplibre), import(script.dataset.echarts)]);

const FONT = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif";
const COLOURS = {red: "#d64541", yellow: "#e6b422", green: "#2e9e5b", vacant: "#2e9e5b", let: "#8d99a8",
                 week: "#4aa3df", open: "#f0a35e", overdue: "#ff6b6b"};
const params = new URLSearchParams(location.search);
const pollMs = 1000 * (Number(params.get("poll")) || config.pollSeconds);
const state = {etag: null, mapKey: "", updates: 0, polls: 0};
window.screenState = state;

// --- map -----------------------------------------------------------------------------------
const style = await (await fetch(config.style)).json();
const map = new maplibregl.Map({
  container: "map", style, bounds: config.bounds, fitBoundsOptions: {padding: 30}, pitch: 40, bearing: -12,
  localIdeographFontFamily: false, attributionControl: false, interactive: false, fadeDuration: 0,
});
map.once("idle", () => { document.body.dataset.mapReady = "1"; });

// --- charts --------------------------------------------------------------------------------
const scale = () => window.innerWidth / 1920;
const charts = {};
for (const id of ["rooms", "safety", "coverage", "activity"]) {
  charts[id] = echarts.init(document.getElementById(`chart-${id}`), null, {renderer: "canvas"});
}
function base(title) {
  const k = scale();
  return {
    animation: false,
    textStyle: {fontFamily: FONT, fontSize: 13 * k, color: "#c9d6e3"},
    title: {text: title, left: 10 * k, top: 6 * k, textStyle: {fontFamily: FONT, fontSize: 16 * k, color: "#e8eef5"}},
    grid: {left: 42 * k, right: 12 * k, top: 44 * k, bottom: 46 * k},
    legend: {right: 10 * k, top: 8 * k, textStyle: {color: "#c9d6e3", fontSize: 12 * k}, itemWidth: 14 * k, itemHeight: 10 * k},
  };
}
function axis(names) {
  const k = scale();
  return {type: "category", data: names, axisLabel: {color: "#a9bfd6", fontSize: 11 * k, rotate: 45, interval: 0}};
}
const valueAxis = (max) => ({type: "value", max, axisLabel: {color: "#a9bfd6", fontSize: 11 * scale()},
                             splitLine: {lineStyle: {color: "#24405f"}}});

function draw(data) {
  const names = data.grids.map(g => g.name);
  charts.rooms.setOption({
    ...base(S.rooms_by_grid), xAxis: axis(names), yAxis: valueAxis(),
    series: [
      {name: S.vacant, type: "bar", stack: "rooms", color: COLOURS.vacant, data: data.grids.map(g => g.vacant)},
      {name: S.let, type: "bar", stack: "rooms", color: COLOURS.let, data: data.grids.map(g => g.let)},
    ],
  }, true);
  const safety = data.totals.safety;
  const k = scale();
  charts.safety.setOption({
    ...base(S.safety + (data.safety_month ? ` · ${data.safety_month}` : "")),
    series: [{
      type: "pie", radius: ["42%", "70%"], center: ["50%", "56%"],
      label: {color: "#e8eef5", fontSize: 14 * k, formatter: "{b}\n{c}"},
      data: safety ? ["red", "yellow", "green"].filter(c => safety[c] > 0)
                       .map(c => ({name: S[c], value: safety[c], itemStyle: {color: COLOURS[c]}}))
                   : [{name: S.not_published, value: 1, itemStyle: {color: "#3a506b"}}],
    }],
  }, true);
  charts.coverage.setOption({
    ...base(S.coverage_by_grid), xAxis: axis(names), yAxis: valueAxis(100),
    series: [{name: S.coverage, type: "bar", data: data.grids.map(g => ({
      value: g.coverage_pct ?? 0, itemStyle: {color: g.colour ? COLOURS[g.colour] : COLOURS.week}}))}],
  }, true);
  const activity = [{name: S.week, type: "bar", color: COLOURS.week, data: data.grids.map(g => g.registrations_week)}];
  if (data.totals.reports_open !== null) {
    activity.push({name: S.open, type: "bar", color: COLOURS.open, data: data.grids.map(g => g.reports_open)},
                  {name: S.overdue, type: "bar", color: COLOURS.overdue, data: data.grids.map(g => g.reports_overdue)});
  }
  charts.activity.setOption({...base(S.registrations_by_grid), xAxis: axis(names), yAxis: valueAxis(), series: activity}, true);
}

function figures(data) {
  for (const el of document.querySelectorAll(".kpi")) {
    const value = data.totals[el.dataset.key];
    el.hidden = value === null || value === undefined;
    el.firstElementChild.textContent = el.dataset.key === "coverage_pct" ? `${value ?? "—"} %`
      : Number(value ?? 0).toLocaleString("zh-CN");
  }
  for (const el of document.querySelectorAll("#legend .safety")) el.hidden = !data.totals.safety;
  document.getElementById("updated").textContent = `${S.updated} ${new Date().toLocaleTimeString("zh-CN", {hour12: false})}`;
}

function refreshMap(data) {
  // The tiles hold vacancy and colours: reload them (revalidated with their ETags) only when those changed.
  const key = data.grids.map(g => `${g.code}:${g.vacant}:${g.let}:${g.colour}`).join("|");
  if (state.mapKey && key !== state.mapKey && map.getSource("village")) map.refreshTiles("village");
  state.mapKey = key;
}

async function poll() {
  try {
    const headers = state.etag ? {"If-None-Match": state.etag} : {};
    const answer = await fetch(config.data, {headers, cache: "no-store", credentials: "same-origin"});
    state.polls += 1;
    if (answer.status === 200) {
      const data = await answer.json();
      state.etag = answer.headers.get("ETag");
      figures(data);
      draw(data);
      refreshMap(data);
      state.updates += 1;
      document.body.dataset.updates = String(state.updates);
    }
  } catch (err) {
    document.body.dataset.error = String(err);
  } finally {
    setTimeout(poll, pollMs);
  }
}

function tick() {
  document.getElementById("clock").textContent = new Date().toLocaleString("zh-CN", {hour12: false});
}
tick();
setInterval(tick, 1000);
window.addEventListener("resize", () => { for (const c of Object.values(charts)) c.resize(); });
await poll();
document.body.dataset.ready = "1";
