-- wrk script of make soak (bench/soak.sh): one kind of traffic per wrk process, named after `--`:
--   list     GET /api/v1/leads with random filters, limits and searches
--   export   GET /api/v1/leads/export of 100, 1,000 or 10,000 rows, sometimes filtered, half of them gzip
--   stages   GET /api/v1/status-stages
--   badkeys  any of those with a malformed, made-up or revoked key
--   overlimit  small exports with one key of its own, faster than its bucket allows
-- Keys come from the environment: SOAK_KEYS (space-separated, spread over requests), SOAK_REVOKED_KEY and
-- SOAK_LIMITED_KEY.
-- done() prints one JSON line: requests, socket errors, latency percentiles and every status (with the
-- ErrorResponse code of a non-2xx answer), for soak.sh to judge and report.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local sources = { "google", "facebook", "bing", "angi", "homeadvisor", "nextdoor", "door_knock", "direct", "Google" }
local mediums = { "cpc", "organic", "paid_social", "referral", "offline" }
local searches = { "smith", "johnson", "austin", "dallas", "555", "roof", "oak", "gmail", "txs", "mai" }
local paths = { "/api/v1/leads", "/api/v1/leads/export", "/api/v1/status-stages" }

local function pick(list)
  return list[math.random(#list)]
end

local function split(text)
  local words = {}
  for word in string.gmatch(text or "", "%S+") do
    table.insert(words, word)
  end
  return words
end

function init(args)
  kind = args[1] or "list"
  keys = split(os.getenv("SOAK_KEYS"))
  revoked = os.getenv("SOAK_REVOKED_KEY") or "rk_live_revoked"
  limited = os.getenv("SOAK_LIMITED_KEY") or "rk_live_limited"
  export_limit = os.getenv("SOAK_EXPORT_LIMIT") or "?"
  counts = {}
  math.randomseed(os.time() * 1000 + id)
  if #keys == 0 then
    error("SOAK_KEYS is empty")
  end
end

local function random_key_text()
  local alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
  local chars = {}
  for i = 1, 50 do
    local n = math.random(#alphabet)
    chars[i] = string.sub(alphabet, n, n)
  end
  return "rk_live_" .. table.concat(chars)
end

local function list_query()
  local parts = { "limit=" .. pick({ 10, 50, 50, 100, 200 }) }
  local roll = math.random(100)
  if roll <= 25 then
    table.insert(parts, "source=" .. pick(sources))
  elseif roll <= 40 then
    table.insert(parts, "search=" .. pick(searches))
  elseif roll <= 55 then
    table.insert(parts, "from=2025-" .. string.format("%02d", math.random(12)) .. "-01T00:00:00Z")
  elseif roll <= 62 then
    table.insert(parts, "medium=" .. pick(mediums) .. "&source=" .. pick(sources))
  end
  return table.concat(parts, "&")
end

local function export_query()
  local roll = math.random(100)
  local limit = roll <= 60 and 100 or (roll <= 90 and 1000 or 10000)
  local query = "limit=" .. limit
  if math.random(100) <= 30 then
    query = query .. "&source=" .. pick(sources)
  end
  return query
end

function request()
  local key = pick(keys)
  local path
  if kind == "list" then
    path = "/api/v1/leads?" .. list_query()
  elseif kind == "export" then
    path = "/api/v1/leads/export?" .. export_query()
  elseif kind == "stages" then
    path = "/api/v1/status-stages"
  elseif kind == "overlimit" then
    path = "/api/v1/leads/export?limit=10"
    key = limited
  else
    path = pick(paths)
    local roll = math.random(3)
    key = roll == 1 and random_key_text() or (roll == 2 and revoked or "not-a-key")
  end
  local headers = { ["Authorization"] = "Bearer " .. key }
  -- Half the exports compressed, as most clients ask (an error then comes compressed too).
  if kind == "export" and math.random(2) == 1 then
    headers["Accept-Encoding"] = "gzip"
  end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  local label = tostring(status)
  if status >= 400 then
    local code = string.match(body or "", '"code"%s*:%s*"([%w_]+)"')
    if code then
      label = label .. " " .. code
    elseif headers["Content-Encoding"] and status == 429 and headers["X-RateLimit-Limit"] == export_limit and headers["Retry-After"] then
      -- A gzip body wrk cannot read: a 429 of the key's export bucket says so by its headers.
      label = label .. " rate_limited"
    elseif headers["Content-Encoding"] then
      label = label .. " (compressed body)"
    else
      label = label .. " (no ErrorResponse code)"
    end
  end
  counts[label] = (counts[label] or 0) + 1
end

local function json_string(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for label, n in pairs(thread:get("counts") or {}) do
      totals[label] = (totals[label] or 0) + n
    end
  end

  local statuses = {}
  for label, n in pairs(totals) do
    table.insert(statuses, json_string(label) .. ":" .. n)
  end

  local e = summary.errors
  io.write(string.format(
    '{"kind":%s,"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"latency_us":{"mean":%.0f,"p50":%d,"p90":%d,"p99":%d,"max":%d},"statuses":{%s}}\n',
    json_string(threads[1]:get("kind") or "?"), summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(statuses, ",")))
end
