-- wrk script: POSTs a client batch (make_batch.py) to the ingest endpoint.
--
--   wrk -t2 -c50 -d10s -s bench/ingest/ingest.lua http://127.0.0.1:PORT/metrics/ingest
--   env: BATCH=path of the batch (default /tmp/glk-ingest-batch.bin)
--        MODE=applied (default): every request a new sequence, so every request is merged
--        MODE=duplicate: the same bytes every time, answered "duplicate" after the first
--        MODE=refused: the same bytes as text/plain: 415 after the body is read and drained (the floor:
--                      HTTP and reading 10 KB, no decoding)
--        TOKEN=...: sends Authorization: Bearer TOKEN
--        RUN=n: a number that makes this run's client ids differ from other runs' (default: the clock)
--
-- In "applied" mode every request is a batch the server has not seen: the sequence varint at offset 22
-- is rewritten per request. A client's batches must reach the server within its replay window of 64
-- sequences (older ones are refused as stale), and 25 connections per wrk thread reorder requests by
-- more than that now and then; so each thread ships as a series of clients of 64 batches each,
-- sequences 1..64 (never 64 apart). Client id bytes 1..4 are the run, 12..15 the series number, 16 the
-- thread: ~2,000 clients in a 10 s run, under the server's default max_clients (10,000). One request
-- in 64 is a new client's first.
-- Responses other than 200 are counted and reported.

local batch_path = os.getenv("BATCH") or "/tmp/glk-ingest-batch.bin"
local mode = os.getenv("MODE") or "applied"
local token = os.getenv("TOKEN")
local run = tonumber(os.getenv("RUN") or "") or os.time()

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function varint(n)
  local out = {}
  while n >= 128 do
    out[#out + 1] = string.char(n % 128 + 128)
    n = math.floor(n / 128)
  end
  out[#out + 1] = string.char(n)
  return table.concat(out)
end

local head, suffix, fixed, headers
local count = 0
local kBlock = 64
non200 = 0
statuses = ""

function init(args)
  local f = assert(io.open(batch_path, "rb"))
  local bytes = f:read("*a")
  f:close()
  assert(bytes:sub(1, 4) == "GLKB" and bytes:byte(23) == 1, "not a batch with sequence 1: " .. batch_path)
  -- (1-based) client id = bytes 7..22, sequence = byte 23 (1)
  local salt = string.char(math.floor(run / 16777216) % 256, math.floor(run / 65536) % 256,
                           math.floor(run / 256) % 256, run % 256)
  head = bytes:sub(1, 6) .. salt .. bytes:sub(11, 17)
  suffix = bytes:sub(24)
  fixed = bytes
  headers = { ["Content-Type"] = mode == "refused" and "text/plain" or "application/vnd.golivekit.metrics-batch" }
  if token then headers["Authorization"] = "Bearer " .. token end
end

function request()
  if mode ~= "applied" then
    return wrk.format("POST", nil, headers, fixed)
  end
  local block = math.floor(count / kBlock)
  local sequence = count % kBlock + 1
  count = count + 1
  local client = string.char(math.floor(block / 16777216) % 256, math.floor(block / 65536) % 256,
                             math.floor(block / 256) % 256, block % 256, id % 256)
  return wrk.format("POST", nil, headers, head .. client .. varint(sequence) .. suffix)
end

function response(status, headers, body)
  if status ~= (mode == "refused" and 415 or 200) then
    non200 = non200 + 1
    if non200 <= 3 then statuses = statuses .. status .. " " .. body .. "\n" end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
    local s = t:get("statuses")
    if s and #s > 0 then io.write(s) end
  end
  io.write(string.format("mode %s: %d requests, %d unexpected statuses, %.0f requests/s\n", mode,
    summary.requests, bad, summary.requests / (summary.duration / 1e6)))
end
