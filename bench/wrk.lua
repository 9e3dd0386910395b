-- Load on one portal page at a fixed rate, for wrk (``python -m bench portal``).
--
--   wrk -t1 -c16 -d60s -s bench/wrk.lua http://127.0.0.1:PORT/portal/ -- RATE COOKIE [AUTH]
--
-- COOKIE is sent as the Cookie header unless empty; AUTH, when given, as Authorization
-- (``python -m bench api``: "Bearer <token>").
--
-- wrk is closed-loop: each connection sends its next request when the previous answer
-- came. Here every request takes the next slot of a schedule of RATE requests per second
-- (shared by the thread's connections) and waits for it, so the offered rate is RATE as
-- long as the server keeps up; when it does not, the slots fall behind and the achieved
-- rate printed next to the latencies shows it. Latency is wrk's own (from sending a
-- request to its answer). done() prints one JSON line: the counts and the latency
-- histogram in microseconds, which the runner merges over the pages.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } kyklos_timespec;
int clock_gettime(int clock_id, kyklos_timespec *tp);
]]
local clock = ffi.new("kyklos_timespec")
local function now_ms()
   ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
   return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   interval = 1000 / tonumber(args[1]) -- the rate of this thread (the runner uses one)
   if args[2] and args[2] ~= "" then
      wrk.headers["Cookie"] = args[2]
   end
   if args[3] and args[3] ~= "" then
      wrk.headers["Authorization"] = args[3]
   end
   next_at = now_ms()
   failures = 0
end

function delay()
   local slot = next_at
   next_at = next_at + interval
   local wait = slot - now_ms()
   if wait < 0 then
      return 0
   end
   return wait
end

function response(status, headers, body)
   if status ~= 200 then
      failures = failures + 1
   end
end

function done(summary, latency, requests)
   local failed = summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
   for _, thread in ipairs(threads) do
      failed = failed + thread:get("failures")
   end
   local buckets = {}
   for i = 1, #latency do
      local value, count = latency(i)
      if count > 0 then
         table.insert(buckets, string.format("[%d,%d]", value, count))
      end
   end
   io.write(string.format(
      '{"requests":%d,"seconds":%.3f,"failures":%d,"p50":%d,"p95":%d,"p99":%d,"histogram":[%s]}\n',
      summary.requests, summary.duration / 1e6, failed,
      latency:percentile(50), latency:percentile(95), latency:percentile(99),
      table.concat(buckets, ",")))
end
