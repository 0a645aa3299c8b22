-- POST /v1/messages for wrk, driven by bench/support/load.ts.
--
-- Args (after `--`): TAG USERS [TOKEN]
--   TAG    differs per wrk run, so no two runs (warm-up included) send the same id
--   USERS  recipients and senders cycle over u0 .. u<USERS-1>
--   TOKEN  sent as `Authorization: Bearer TOKEN` when given and not empty
-- Bodies: the same shape every time; a unique id per request, TAG-<thread>-<counter> (a repeated id
-- would be a duplicate, not a send); recipient k % USERS, sender (k * 7919 + 13) % USERS (a stride
-- coprime with USERS, so sender/recipient pairs vary too).
-- Output: besides wrk's own report, done() prints one line, `cutover-wrk {json}`, with requests,
-- duration_us, statuses (count per HTTP status), errors (wrk's socket errors and timeouts),
-- latency_us (p50, p90, p99, max over every response) and cpu_s (this process's CPU time).

-- The payload is a JSON string holding a small JSON document (~100 bytes), as in the send-path bench.
local PAYLOAD = '"{\\"text\\":\\"Hello from the Cutover bench, how are you today?\\",\\"lang\\":\\"en\\"}"'

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local tag = args[1] or "wrk"
  users = tonumber(args[2] or "10000")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[3] and args[3] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[3]
  end
  prefix = '{"id":"' .. tag .. "-" .. tid .. "-"
  counter = 0
  statuses = {}
end

function request()
  local k = counter
  counter = counter + 1
  local body = prefix .. k .. '","from":"u' .. ((k * 7919 + 13) % users) .. '","to":{"type":"user","id":"u' .. (k % users) .. '"},"payload":' .. PAYLOAD .. "}"
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function object(entries)
  local parts = {}
  for key, value in pairs(entries) do
    parts[#parts + 1] = string.format('"%s":%s', tostring(key), string.format("%.0f", value))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local e = summary.errors
  io.write(string.format(
    'cutover-wrk {"requests":%.0f,"duration_us":%.0f,"statuses":%s,"errors":%s,"latency_us":%s,"cpu_s":%.3f}\n',
    summary.requests, summary.duration, object(counts),
    object({ connect = e.connect, read = e.read, write = e.write, status = e.status, timeout = e.timeout }),
    object({ p50 = latency:percentile(50), p90 = latency:percentile(90), p99 = latency:percentile(99), max = latency.max }),
    os.clock()))
end
