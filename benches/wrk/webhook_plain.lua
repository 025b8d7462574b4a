-- wrk: signed plain-mode text messages to /wechat that hit the village lookup.
-- The URL signature covers token, timestamp and nonce only, so one signed query
-- (WEBHOOK_QUERY) serves every body. WEBHOOK_UNIQUE=1 gives each request its own MsgId
-- and sender, so none is a de-duplication hit; 0 sends one message over and over (every
-- request after the first is a retry answered from the store).
local query = os.getenv("WEBHOOK_QUERY")
local words = os.getenv("WEBHOOK_WORDS") or "王岗"
local unique = os.getenv("WEBHOOK_UNIQUE") ~= "0"
local template = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
  .. "<FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"
  .. "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" .. words .. "]]></Content>"
  .. "<MsgId>%s</MsgId></xml>"

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local counter = 0
local created = os.time()
function request()
  local msg_id, from = "6260957665266699303", "oBenchRepeat"
  if unique then
    counter = counter + 1
    msg_id = string.format("%d%012d", id, counter)
    from = string.format("oBench%d_%05d", id, counter % 20000)
  end
  local body = string.format(template, from, created, msg_id)
  return wrk.format("POST", "/wechat?" .. query, { ["Content-Type"] = "text/xml" }, body)
end
