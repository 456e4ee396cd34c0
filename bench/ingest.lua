-- wrk script: each request POSTs a batch of 100 new events to the ingest API with the token
-- in $TOKEN; ids are unique per (run $RUN, wrk thread, request), so nothing is a duplicate.
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local sent = 0
local run = os.getenv("RUN") or "run"
local when = os.getenv("WHEN") or "2026-11-20T09:15:00Z"

function request()
  sent = sent + 1
  local events = {}
  for n = 1, 100 do
    events[n] = string.format(
      '{"id":"bench-%s-%d-%d-%d","occurred_at":"%s","customer_id":%d,'
        .. '"partner_user":"sales.agent@contoso.example","action":"assigned_license",'
        .. '"details":{"type":"license_assignment","user_principal_name":"u%d@customer.example",'
        .. '"product":"Microsoft 365 E3"}}',
      run, thread_index, sent, n, when, 1 + n % 12, n)
  end
  return wrk.format("POST", "/api/v1/events", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
  }, '{"events":[' .. table.concat(events, ",") .. ']}')
end
