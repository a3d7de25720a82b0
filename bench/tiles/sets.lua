-- wrk script: replay a list of request *sets* once, in order, then stop.
--
-- A set is what one map tile costs a client: one request to our server or to
-- django-vectortiles, one request per layer to tipg. The list file (BENCH_LIST) has one
-- request per line, "<set number> <path>"; the lines of a set are consecutive.
--
-- Run it with one wrk thread (-t1) and any number of connections: each wrk thread would replay
-- the whole list. When the list is done the script stops wrk early (SIGINT to wrk's main thread,
-- which otherwise sleeps for the whole -d duration); -d is the time limit.
--
-- Reported in done() as one JSON line prefixed "BENCH_JSON ":
--   set latencies (ms, from the first request of a set to the response of its last; only
--   meaningful with one connection, where requests are strictly sequential), wrk's own
--   per-request latency percentiles, status counts, bytes of bodies, requests and sets done.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } timespec;
  int clock_gettime(int clk_id, timespec *tp);
  int getpid(void);
  int tgkill(int tgid, int tid, int sig);
]]
local ts = ffi.new("timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local paths, set_of, last_of_set = {}, {}, {}

local function load_list()
  local file = assert(io.open(os.getenv("BENCH_LIST"), "r"))
  for line in file:lines() do
    local set, path = line:match("^(%d+) (.+)$")
    if set then
      paths[#paths + 1] = path
      set_of[#set_of + 1] = tonumber(set)
    end
  end
  file:close()
  for i = 1, #paths do
    last_of_set[i] = (i == #paths) or (set_of[i + 1] ~= set_of[i])
  end
end
load_list()

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- per-thread state
local next_index, in_flight = 1, {}
local set_started, set_latencies = {}, {}
local statuses, body_bytes, done_requests, done_sets = {}, 0, 0, 0
local first_ms, last_ms = 0, 0
local sent = {}

function init(args)
  wrk.headers["Accept-Encoding"] = "gzip"
end

function request()
  local i = next_index
  if i > #paths then
    -- the list is exhausted: ask for nothing new; done() is reached when wrk's time is up or
    -- when the last response arrives (see response()).
    i = #paths
  end
  next_index = next_index + 1
  if first_ms == 0 then first_ms = now_ms() end
  sent[#sent + 1] = i
  local set = set_of[i]
  if set_started[set] == nil then
    set_started[set] = now_ms()
  end
  return wrk.format("GET", paths[i])
end

function response(status, headers, body)
  local i = table.remove(sent, 1)
  done_requests = done_requests + 1
  last_ms = now_ms()
  statuses[status] = (statuses[status] or 0) + 1
  if body then body_bytes = body_bytes + #body end
  if last_of_set[i] then
    local set = set_of[i]
    set_latencies[#set_latencies + 1] = now_ms() - set_started[set]
    done_sets = done_sets + 1
  end
  if done_requests == #paths then
    wrk.thread:stop()
    local pid = ffi.C.getpid()
    ffi.C.tgkill(pid, pid, 2) -- SIGINT: wrk's main thread stops sleeping and reports
  end
end

local function json_numbers(t)
  local parts = {}
  for _, v in ipairs(t) do parts[#parts + 1] = string.format("%.3f", v) end
  return "[" .. table.concat(parts, ",") .. "]"
end

function done(summary, latency, requests)
  local set_lat, status_parts, bytes, sets, reqs = {}, {}, 0, 0, 0
  local merged, elapsed = {}, 0
  for _, thread in ipairs(threads) do
    elapsed = math.max(elapsed, thread:get("last_ms") - thread:get("first_ms"))
    for _, v in ipairs(thread:get("set_latencies")) do set_lat[#set_lat + 1] = v end
    for k, v in pairs(thread:get("statuses")) do merged[k] = (merged[k] or 0) + v end
    bytes = bytes + thread:get("body_bytes")
    sets = sets + thread:get("done_sets")
    reqs = reqs + thread:get("done_requests")
  end
  for k, v in pairs(merged) do status_parts[#status_parts + 1] = string.format('"%d":%d', k, v) end
  local pct = {}
  for _, p in ipairs({ 50, 90, 95, 99 }) do
    pct[#pct + 1] = string.format('"p%d":%.3f', p, latency:percentile(p) / 1000)
  end
  io.write("BENCH_JSON ", "{",
    string.format('"duration_s":%.4f,', summary.duration / 1e6),
    string.format('"elapsed_s":%.4f,', elapsed / 1000),
    string.format('"requests":%d,', reqs),
    string.format('"sets":%d,', sets),
    string.format('"list_requests":%d,', #paths),
    string.format('"body_bytes":%d,', bytes),
    string.format('"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},',
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
      summary.errors.status),
    '"status":{', table.concat(status_parts, ","), "},",
    '"request_latency_ms":{', table.concat(pct, ","),
    string.format(',"max":%.3f,"mean":%.3f}', latency.max / 1000, latency.mean / 1000), ",",
    '"set_latency_ms":', json_numbers(set_lat),
    "}\n")
end
