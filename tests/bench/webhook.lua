-- webhook.lua: wrk script posting realistic Telegram Updates with unique update_ids and the
-- secret header. Each wrk thread numbers its updates in its own range and talks to its own
-- 5,000 private chats, so within a chat update_ids rise with time, as Telegram's do; many
-- chats keep per-chat ordering from serialising the load.
local counter = 0
local threads = {}
local secret = os.getenv("BENCH_SECRET") or ""
local base = tonumber(os.getenv("BENCH_BASE") or "1000000000")

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if secret ~= "" then
    wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = secret
  end
end

local texts = {
  "1HGCM82633A004352", "hi, can you check 5YJ3E1EA7KF317000 for me?", "/start",
  "what does the check digit mean?", "WVWZZZ1JZXW000001", "/help",
}

function request()
  counter = counter + 1
  local id = base + tid * 100000000 + counter
  local chat = 100000 + tid * 5000 + (counter % 5000)
  local text = texts[(counter % #texts) + 1]
  local body = string.format(
    '{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,' ..
    '"first_name":"Alex","last_name":"Driver","username":"alex%d","language_code":"en"},' ..
    '"chat":{"id":%d,"first_name":"Alex","last_name":"Driver","username":"alex%d",' ..
    '"type":"private"},"date":1732400000,"text":"%s"}}',
    id, counter, chat, chat, chat, chat, text)
  return wrk.format(nil, "/webhook", nil, body)
end
