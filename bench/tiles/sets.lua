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
--   sets_done: [set number, latency ms, highest status, body bytes] per completed set, the
--     latency from sending the set's first request to receiving its last response (exact with
--     one connection, where requests are strictly sequential; approximate with more);
--   status counts, body bytes (as sent: gzip), requests done, elapsed time (first request to
--   last response), and wrk's own request-latency percentiles (its timer also counts the
--   reconnects that servers closing each connection cause: kept as raw data only).

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

-- Per-thread state: globals, because done() reads them through thread:get().
-- (flat tables only: thread:get() cannot copy nested ones)
next_index, sent, set_started, set_status, set_bytes = 1, {}, {}, {}, {}
done_set_ids, done_set_ms, done_set_status, done_set_bytes = {}, {}, {}, {}
statuses, body_bytes, done_requests, done_sets = {}, 0, 0, 0
first_ms, last_ms = 0, 0

function init(args)
  wrk.headers["Accept-Encoding"] = "gzip"
end

-- wrk calls request() once on the first thread before any connection, to check the script
-- (script_verify_request): that call must not consume a list entry.
verified = false

function request()
  if not verified then
    verified = true
    return wrk.format("GET", paths[1])
  end
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
  set_status[set_of[i]] = math.max(set_status[set_of[i]] or 0, status)
  set_bytes[set_of[i]] = (set_bytes[set_of[i]] or 0) + (body and #body or 0)
  if last_of_set[i] then
    local set = set_of[i]
    local n = #done_set_ids + 1
    done_set_ids[n], done_set_ms[n] = set, now_ms() - set_started[set]
    done_set_status[n], done_set_bytes[n] = set_status[set], set_bytes[set]
    done_sets = done_sets + 1
  end
  if done_requests == #paths then
    wrk.thread:stop()
    local pid = ffi.C.getpid()
    ffi.C.tgkill(pid, pid, 2) -- SIGINT: wrk's main thread stops sleeping and reports
  end
end

local function json_sets(parts, thread)
  local ids, ms, st, by = thread:get("done_set_ids"), thread:get("done_set_ms"),
      thread:get("done_set_status"), thread:get("done_set_bytes")
  for n = 1, #ids do
    parts[#parts + 1] = string.format("[%d,%.3f,%d,%d]", ids[n], ms[n], st[n], by[n])
  end
end

function done(summary, latency, requests)
  local set_lat, status_parts, bytes, sets, reqs = {}, {}, 0, 0, 0
  local merged, elapsed = {}, 0
  for _, thread in ipairs(threads) do
    elapsed = math.max(elapsed, thread:get("last_ms") - thread:get("first_ms"))
    json_sets(set_lat, thread)
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
    '"sets_done":[', table.concat(set_lat, ","), "]",
    "}\n")
end
