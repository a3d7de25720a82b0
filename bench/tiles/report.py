"""Results → markdown (bench/results/tiles.md), and the per-zoom breakdown of a measurement."""

from __future__ import annotations

import statistics

from loadgen import percentile

PEERS = ("dvt", "tipg")
ROWS = ("floor", "minimal", "ours", "dvt", "tipg", "ours-file", "ours-locmem")
TARGET_P50_RATIO = 1.3
TARGET_PEER_RATIO = 2.0
TARGET_CACHED_PER_S = 2000


def add_zoom_breakdown(result: dict, tiles: list, keep_tiles: bool = False) -> None:
    """Replace the raw per-set records (one connection only) by a per-zoom summary and, if
    keep_tiles, the median of every distinct tile: where the time goes."""
    per_set = result.pop("per_set", None)
    if not per_set:
        return
    by_zoom: dict[int, list] = {}  # per_set indexes are list positions (loadgen folds passes)
    for index, ms, status, nbytes in per_set:
        by_zoom.setdefault(tiles[index].z, []).append((ms, status, nbytes))
    total = sum(ms for _, ms, _, _ in per_set) or 1
    result["by_zoom"] = {
        str(z): {"n": len(rows), "p50": _r(percentile([r[0] for r in rows], 50)),
                 "p95": _r(percentile([r[0] for r in rows], 95)),
                 "mean": _r(statistics.fmean(r[0] for r in rows)),
                 "share_of_time": round(sum(r[0] for r in rows) / total, 3),
                 "empty": round(sum(1 for r in rows if r[1] == 204 or r[2] == 0) / len(rows), 3),
                 "mean_kb": round(statistics.fmean(r[2] for r in rows) / 1024, 1)}
        for z, rows in sorted(by_zoom.items())
    }
    if not keep_tiles:
        return
    per_tile: dict[str, list] = {}
    for i, ms, _status, nbytes in per_set:
        per_tile.setdefault(f"{tiles[i].z}/{tiles[i].x}/{tiles[i].y}", [[], nbytes])[0].append(ms)
    # median latency and bytes (gzip) of every distinct tile: which tiles are slow, and by how much
    result["per_tile"] = {t: [_r(statistics.median(v[0])), v[1]] for t, v in per_tile.items()}


def _r(v):
    return None if v is None else round(v, 2)


def _fmt(v, digits=1) -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def _ratio(a, b) -> str:
    return f"{a / b:.2f}×" if a and b else "—"


def _peak(server: dict, workload: str) -> tuple[float | None, float | None]:
    runs = [server[workload][k] for k in ("c1", "c8") if k in server.get(workload, {})]
    rss = [r["peak_rss_mb"] for r in runs if "peak_rss_mb" in r]
    pss = [r["peak_pss_mb"] for r in runs if "peak_pss_mb" in r]
    return (max(rss) if rss else None, max(pss) if pss else None)


def _requests_per_tile(key: str, run: dict) -> str:
    if key == "floor":
        return "1 SQL"
    per = run["list_requests"] / run["list_sets"]
    return f"{per:.1f}" if per != int(per) else str(int(per))


def table(ds: dict, workload: str) -> list[str]:
    servers = ds["servers"]
    floor = servers["floor"][workload]
    best_peer = {c: max((servers[p][workload][c]["sets_per_s"] or 0) for p in PEERS if p in servers)
                 for c in ("c1", "c8")}
    lines = [
        "| server / mode | requests per tile | p50 ms (c=1) | p95 ms (c=1) | tiles/s (c=1) | tiles/s (c=8) "
        "| peak RSS MB (PSS) | p50 ÷ floor | tiles/s ÷ best peer (c=1 / c=8) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in ROWS:
        if key not in servers:
            continue
        s = servers[key]
        c1, c8 = s[workload]["c1"], s[workload]["c8"]
        rss, pss = _peak(s, workload)
        mem = "—" if rss is None else f"{rss:,.0f} ({pss:,.0f})"
        vs_peer = (f"{_ratio(c1['sets_per_s'], best_peer['c1'])} / {_ratio(c8['sets_per_s'], best_peer['c8'])}"
                   if key == "ours" else "—")  # peers have no tile cache: only uncached compares
        partial = "" if c1["passes"] >= 1 and c8["passes"] >= 1 else " ¹"
        lines.append(
            f"| {s['label']}{partial} | {_requests_per_tile(key, c1)} | {_fmt(c1['set_ms']['p50'], 2)} "
            f"| {_fmt(c1['set_ms']['p95'], 2)} | {_fmt(c1['sets_per_s'])} | {_fmt(c8['sets_per_s'])} | {mem} "
            f"| {_ratio(c1['set_ms']['p50'], floor['c1']['set_ms']['p50'])} | {vs_peer} |")
    return lines


def paired(ds: dict) -> list[str]:
    lines = ["| workload | round | floor p50 ms | ours p50 ms | minimal p50 ms | ours ÷ floor | minimal ÷ floor |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for workload, p in ds.get("paired", {}).items():
        for k in range(p["rounds"]):
            lines.append(f"| {workload} | {k + 1} | {p['p50_ms']['floor'][k]:.2f} | {p['p50_ms']['ours'][k]:.2f} "
                         f"| {p['p50_ms']['minimal'][k]:.2f} | {p['ratios']['ours'][k]:.2f}× | {p['ratios']['minimal'][k]:.2f}× |")
    return lines


def targets(ds: dict) -> list[str]:
    s = ds["servers"]
    lines = ["| target | measured | met |", "|---|---|:-:|"]
    for workload in ("map", "buildings"):
        floor = s["floor"][workload]["c1"]["set_ms"]["p50"]
        single = s["ours"][workload]["c1"]["set_ms"]["p50"] / floor
        paired = ds.get("paired", {}).get(workload)
        if paired:  # judged by the paired rounds (run.py: Bench.paired)
            ratio = paired["median_ratio"]["ours"]
            spread = paired["ratios"]["ours"]
            measured = (f"{ratio:.2f}× (median of {paired['rounds']} paired rounds, {min(spread):.2f}–{max(spread):.2f}×; "
                        f"minimal Python server {paired['median_ratio']['minimal']:.2f}×; one long run: {single:.2f}×)")
        else:
            ratio, measured = single, f"{single:.2f}×"
        lines.append(f"| uncached p50 ≤ {TARGET_P50_RATIO}× floor ({workload}) | {measured} "
                     f"| {'yes' if ratio <= TARGET_P50_RATIO else '**no**'} |")
    for workload in ("map", "buildings"):
        for c in ("c1", "c8"):
            ours = s["ours"][workload][c]["sets_per_s"]
            best = max(s[p][workload][c]["sets_per_s"] for p in PEERS if p in s)
            ratio = ours / best if best else 0
            lines.append(f"| uncached throughput ≥ {TARGET_PEER_RATIO:.0f}× best peer ({workload}, {c.replace('c', 'c=')}) "
                         f"| {ratio:.2f}× ({ours:,.0f} vs {best:,.0f} tiles/s) "
                         f"| {'yes' if ratio >= TARGET_PEER_RATIO else '**no**'} |")
    if "ours-file" in s:
        cached = s["ours-file"]["map"]["c8"]["sets_per_s"]
        lines.append(f"| cached ≥ {TARGET_CACHED_PER_S:,} tiles/s, production config (file cache, c=8) "
                     f"| {cached:,.0f} tiles/s | {'yes' if cached >= TARGET_CACHED_PER_S else '**no**'} |")
    peak = [(_peak(s[k], w)[0] or 0) for k in s if k.startswith("ours") for w in ("map", "buildings")]
    lines.append(f"| peak memory of the server stated | {max(peak):,.0f} MB RSS (master + workers) | yes |")
    return lines


def zooms(ds: dict) -> list[str]:
    ours = ds["servers"]["ours"]["map"]["c1"].get("by_zoom", {})
    floor = ds["servers"]["floor"]["map"]["c1"].get("by_zoom", {})
    lines = ["| zoom | tiles | empty | mean KB (gzip) | ours p50 ms | ours p95 ms | floor p50 ms | p50 ÷ floor "
             "| share of ours' time |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for z, o in ours.items():
        f = floor.get(z, {})
        lines.append(f"| {z} | {o['n']} | {o['empty']:.0%} | {o['mean_kb']} | {_fmt(o['p50'], 2)} | {_fmt(o['p95'], 2)} "
                     f"| {_fmt(f.get('p50'), 2)} | {_ratio(o['p50'], f.get('p50'))} | {o['share_of_time']:.0%} |")
    return lines


def health(ds: dict) -> list[str]:
    lines = ["| server | 5xx (responses / log lines) | socket errors | busy CPU before runs |", "|---|---:|---:|---:|"]
    for key in ROWS:
        s = ds["servers"].get(key)
        if not s:
            continue
        runs = [s[w][c] for w in ("map", "buildings") for c in ("c1", "c8")]
        five = sum(n for r in runs for code, n in r["status"].items() if code.startswith("5"))
        sock = sum(v for r in runs for k, v in r["errors"].items() if isinstance(v, int))
        busy = max(r.get("background_cpu", 0) for r in runs)
        lines.append(f"| {s['label']} | {five} / {s.get('log_5xx', '—')} | {sock} | ≤ {busy:.0%} |")
    return lines


def _attribute_differences(ours: dict, theirs: dict) -> str:
    """' (z14 +address; z16 −rent)': attribute names a peer sends beyond ours (+) or lacks (−), per
    zoom sampled from both; '' when they agree."""
    notes = []
    for z in sorted(set(ours) & set(theirs), key=int):
        extra = set(theirs[z]) - set(ours[z]) - {"id"}
        missing = set(ours[z]) - set(theirs[z])
        if extra or missing:
            notes.append(f"z{z} " + " ".join([f"+{a}" for a in sorted(extra)] + [f"−{a}" for a in sorted(missing)]))
    return f" ({'; '.join(notes)})" if notes else ""


def samples(ds: dict) -> list[str]:
    servers = ds["servers"]
    names = [n for n in servers.get("ours", {}).get("samples", {}).get("layers", {})]
    keys = [k for k in ("ours", "dvt", "tipg") if "samples" in servers.get(k, {})]
    lines = ["| layer | " + " | ".join(servers[k]["label"] for k in keys) + " |",
             "|---|" + "---:|" * len(keys)]
    for name in names:
        cells = []
        base = servers["ours"]["samples"]["layers"][name]["keys"]
        for k in keys:
            e = servers[k]["samples"]["layers"].get(name)
            if e is None:
                cells.append("missing")
                continue
            cells.append(f"{e['features']:,}{_attribute_differences(base, e['keys'])}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    n = servers.get("ours", {}).get("samples", {}).get("tiles", 0)
    return [f"Features per layer in {n} sample map tiles decoded from each server (same tiles):", ""] + lines


def slowest(ds: dict, n: int = 8) -> list[str]:
    ours = ds["servers"]["ours"]["map"]["c1"].get("per_tile", {})
    floor = ds["servers"]["floor"]["map"]["c1"].get("per_tile", {})
    lines = ["| tile z/x/y | KB (gzip) | ours ms | floor ms | ours − floor ms |", "|---|---:|---:|---:|---:|"]
    for tile, (ms, nbytes) in sorted(ours.items(), key=lambda kv: -kv[1][0])[:n]:
        f = floor.get(tile, [None])[0]
        lines.append(f"| {tile} | {nbytes / 1024:.1f} | {_fmt(ms, 2)} | {_fmt(f, 2)} "
                     f"| {_fmt(ms - f if f is not None else None, 2)} |")
    return lines


def overhead(ds: dict) -> list[str]:
    lines = ["| server | request | p50 ms (c=1) | p95 ms (c=1) | requests/s (c=8) |", "|---|---|---:|---:|---:|"]
    for key in ROWS:
        o = ds["servers"].get(key, {}).get("overhead")
        if o:
            lines.append(f"| {ds['servers'][key]['label']} | `{o['path']}` | {_fmt(o['c1']['p50'], 2)} "
                         f"| {_fmt(o['c1']['p95'], 2)} | {_fmt(o['c8']['per_s'], 0)} |")
    return lines


def markdown(result: dict) -> str:
    prod = result["production_server"]
    out = ["# Vector tiles: our server against the SQL floor, django-vectortiles and tipg", "",
           f"Run {result['when']} on {result['machine']['cpus']} cores / {result['machine']['memory_gb']} GB, "
           f"{result['seconds_per_measurement']:.0f} s limit per measurement"
           f"{' (quick smoke check)' if result['quick'] else ''}; total {result['total_seconds'] / 60:.0f} min. "
           "Command: `make bench-tiles` (`.venv/bin/python bench/tiles/run.py`).", ""]
    for key, ds in result["datasets"].items():
        c = ds["counts"]
        tl = ds["tile_list"]
        zoom_mix = ", ".join(f"z{z} {n}" for z, n in tl["by_zoom"].items())
        out += [f"## {ds['label']}: {c['communities']} communities, {c['buildings']:,} buildings, {c['rooms']:,} rooms",
                "", f"Tile list `{tl['file']}`: {tl['tiles']:,} tiles ({tl['unique']:,} distinct): {zoom_mix}.", "",
                "**Map tiles** (every public layer; one request to ours and django-vectortiles, one per layer shown "
                "at that zoom to tipg):", ""]
        out += table(ds, "map")
        out += ["", "**Buildings layer alone** (the list's tiles from z14, one request everywhere):", ""]
        out += table(ds, "buildings")
        out += ["", "Targets:", ""] + targets(ds)
        if ds.get("paired"):
            out += ["", "Uncached p50 against the floor, paired rounds (c=1; each round the same stretch of the list "
                    "for all three, in rotating order):", ""] + paired(ds)
        out += ["", "Where our uncached time goes (map tiles, c=1, by zoom):", ""] + zooms(ds)
        out += ["", "Our slowest uncached map tiles (median over the run, c=1) and the floor for the same tile:", ""]
        out += slowest(ds)
        out += ["", "Fixed cost of a request that runs no SQL (uncached ours and django-vectortiles: an empty z0 "
                "tile through the whole framework; cached ours: the same tile as a cache hit, answered by the WSGI "
                "fast path; tipg: its health check):", ""] + overhead(ds)
        out += ["", "Errors and background load:", ""] + health(ds)
        out += [""] + samples(ds) + [""]
    out += [
        "## Method",
        "",
        "- **Tile list**: kiosk sessions replayed (overview at z12–14, the kiosk's neighbourhood at z15–16, three "
        "buildings near the kiosk at z17 and z18, a pan at z16; a 1080×1920 portrait screen with 512-px tiles), "
        "shuffled into one fixed request order; generated by `bench/tiles/tilelist.py`, published as "
        "`bench/tiles/tile_list_*.csv`. Every server and the floor replay the same list in the same order, cycling "
        f"through it (at most {result.get('passes', {}).get('uncached', 5)} times uncached, "
        f"{result.get('passes', {}).get('cached', 60)} times cached) for {result['seconds_per_measurement']:.0f} s "
        "(¹ marks a run that did not get through the whole list once: the shuffled order makes any prefix a fair "
        "sample).",
        "- **Tile** = what a client needs for one map tile: one request to ours and to django-vectortiles (which "
        "runs one query per layer inside it), one request per layer shown at that zoom to tipg (as MapLibre would "
        "request one source per layer). Latency of a tile for tipg is its requests made one after the other on one "
        "connection. **tiles/s** = tiles completed ÷ wall time, with 1 or 8 concurrent connections.",
        "- **Floor** = the exact SQL of `tiles/sql.py` (`tile_query`, `tile_params`) through psycopg, prepared, one "
        "persistent connection per client thread (8 at c=8), with the session settings our server's connections "
        "get (`DATABASES` `OPTIONS` `options`, e.g. `-c jit=off`; django-vectortiles and tipg get them too); "
        "no HTTP, no gzip. PostgreSQL's buffers are warmed by "
        "one unmeasured pass before the floor runs; every server also gets an unmeasured warm-up of "
        "150 tiles at c=8 first.",
        "- **Minimal Python server** (reference, not a peer) = the floor's SQL behind the same server command "
        "(`scripts/serve.sh`, same workers and threads): `bench/tiles/minimal_app.py` parses the path, runs the "
        "prepared statement through psycopg and returns the bytes — no framework, gzip, ETag, data extent or error "
        "handling. Its distance from the floor is the HTTP hop and a Python thread, which no Python server avoids.",
        "- **Paired p50** (what the p50 target is judged by): the floor, ours (uncached) and the minimal server, "
        "all running, take turns in short runs at c=1 "
        "(a third of the time limit each, the list started at a different point each round, the order rotating); "
        "the ratio is the median of the per-round ratios. One long run per server, as in the tables, can land in a "
        "busy minute the floor missed.",
        "- **Uncached** = ours with `TILE_CACHE=none` (every request that can hold data renders the tile, gzips "
        "it, hashes the ETag; tiles away from every community are answered empty from the data extent, "
        "`tiles/extent.py`, as in production). "
        "**Cached** = `TILE_CACHE=file` (the production default) or `locmem`, in a scratch cache directory, after "
        "warm-up passes over the whole list (1 for file, 3 for locmem, whose cache is per worker); each cached "
        "measurement is the median of three runs.",
        f"- **Servers**: ours exactly as `make run` starts it ({prod['summary']}: `scripts/serve.sh` with "
        f"{', '.join(f'{k}={v}' for k, v in prod['settings'].items())}, read with `make -n run`; access log on); "
        "django-vectortiles under the same server command with the same Django, psycopg and granian versions, "
        "GZipMiddleware and persistent connections; "
        f"tipg under uvicorn with the same number of worker processes (uvloop, httptools). Every client sends "
        "`Accept-Encoding: gzip`. Load from wrk (C, one thread, `bench/tiles/sets.lua`), loopback only.",
        "- **Peer layers**: the same tables, geometry columns per zoom, filters, attributes, joins and caps as "
        "`tiles/layers.py` (`bench/tiles/dvt_site/layers.py`; for tipg, one view per layer in schema `bench_tipg` "
        "of the bench database, generated from `tiles/layers.py`, plus `geom-column`, `properties`, `limit` and "
        "`sortby` per request). Differences that remain are the peers' own: neither sets the feature id (it is an "
        "attribute), django-vectortiles selects with `ST_Intersects` on the tile without the 64-px buffer, tipg "
        "orders every layer by id and sends an empty 200 instead of 204.",
        "- **Memory**: peak of the summed RSS of the server's processes (master + workers) sampled every 0.2 s "
        "during the measured runs; PSS in brackets counts pages shared after fork once.",
        "- **Busy CPU before runs**: each measurement waits (up to 60 s) for the machine to be below "
        f"{35}% busy and records what it saw; other work on the machine makes numbers noisier.",
        "",
        "Versions: " + "; ".join(f"{k}: " + (", ".join(f"{p} {v}" for p, v in vs.items()) if isinstance(vs, dict) else vs)
                                 for k, vs in result.get("versions", {}).items()),
        "",
    ]
    return "\n".join(out)
