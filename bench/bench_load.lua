-- wrk script of bench/bench_load.py: each connection rotates over the paths given after "--", responses are
-- counted by status, and done() prints the figures a person reads plus one "WRK_JSON {...}" line for the script.
--
--     wrk -t2 -c32 -d60s --timeout 30s -s bench/bench_load.lua http://127.0.0.1:8000 -- / /catalog/ /api/v2/pages/

local threads = {}

function setup(thread)
  -- Each thread starts at another place in the rotation so the paths are requested evenly from the start.
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for i = 1, #args do
    paths[i] = args[i]
  end
  if #paths == 0 then
    paths[1] = "/"
  end
  counter = offset or 0
  statuses = {}
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local codes = {}
  for status in pairs(counts) do
    table.insert(codes, status)
  end
  table.sort(codes)

  local bad = 0
  local parts = {}
  for _, status in ipairs(codes) do
    if status < 200 or status >= 400 then
      bad = bad + counts[status]
    end
    table.insert(parts, string.format('"%d": %d', status, counts[status]))
  end
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6

  io.write("-- bench_load.lua --\n")
  for _, status in ipairs(codes) do
    io.write(string.format("  HTTP %d: %d\n", status, counts[status]))
  end
  io.write(string.format("  requests %d in %.1f s = %.1f req/s\n", summary.requests, seconds, summary.requests / seconds))
  io.write(string.format("  latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("  non-2xx/3xx responses %d; socket errors %d (connect %d, read %d, write %d, timeout %d)\n",
    bad, socket, e.connect, e.read, e.write, e.timeout))
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "non_2xx_3xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, bad, e.connect, e.read, e.write, e.timeout, table.concat(parts, ", ")))
end
