-- wrk: safe-mode (encrypted) text messages to /wechat that hit the village lookup.
-- msg_signature covers Encrypt, so unique messages cannot be made inside wrk: each
-- thread replays its own file of pre-encrypted, pre-signed requests (one per line:
-- query, a tab, body), written by gen_safe_bodies.py. With WEBHOOK_BODIES_REPEAT=1 the
-- file holds one request and every request after the first is a de-duplication hit.
local prefix = os.getenv("WEBHOOK_BODIES")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local lines = {}
local n = 0
function init(args)
  for line in io.lines(string.format("%s.%d", prefix, id)) do
    local tab = line:find("\t", 1, true)
    n = n + 1
    lines[n] = { line:sub(1, tab - 1), line:sub(tab + 1) }
  end
end

local i = 0
function request()
  i = i + 1
  if i > n then
    i = 1
  end
  local q, body = lines[i][1], lines[i][2]
  return wrk.format("POST", "/wechat?" .. q, { ["Content-Type"] = "text/xml" }, body)
end
