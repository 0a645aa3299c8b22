--[[
  Confirm primaries (a batch, one shard): keep the receipt as the dedupe record, drop the intent,
  queue the secondary.
  KEYS[1] intents sorted set of side old
  KEYS[2] intents sorted set of side new
  KEYS[3] outbox stream of side old
  KEYS[4] outbox stream of side new
  KEYS[5..] dedupe records, one per message ('st|fp|tries|payload', see begin.lua)
  ARGV    per message, four values: id, primary side, secondary side ('old' | 'new' | '-'), receipt JSON
  Output: how many were committed (a message already committed or aborted is skipped).
]]
local committed = 0
local intents = { old = KEYS[1], new = KEYS[2] }
local streams = { old = KEYS[3], new = KEYS[4] }
for i = 5, #KEYS do
  local base = (i - 5) * 4
  local id, primary, secondary, receipt = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  local seen = redis.call('GET', KEYS[i])
  if seen and string.sub(seen, 1, 1) == 'p' then
    local fpEnd = string.find(seen, '|', 3, true)
    local triesEnd = string.find(seen, '|', fpEnd + 1, true)
    -- 'c|fp|tries|' + receipt; the record itself leaves Redis with the stream entry.
    redis.call('SET', KEYS[i], 'c' .. string.sub(seen, 2, triesEnd) .. receipt, 'KEEPTTL')
    redis.call('ZREM', intents[primary], id)
    if streams[secondary] then
      redis.call('XADD', streams[secondary], '*', 'r', string.sub(seen, triesEnd + 1), 'a', 0)
    end
    committed = committed + 1
  end
end
return committed
