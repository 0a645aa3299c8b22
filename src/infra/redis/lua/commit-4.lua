--[[
  Confirm primaries (a batch, one shard): keep the receipt as the dedupe record, drop the intent,
  queue the secondary.
  KEYS[1] intents sorted set of side old
  KEYS[2] intents sorted set of side new
  KEYS[3] outbox stream of side old
  KEYS[4] outbox stream of side new
  ARGV[1] key prefix of the shard's dedupe records (see begin-2.lua)
  ARGV[2] the batch, packed as in begin-2.lua: per message four fields, each ended by '\n': id,
          primary side, secondary side ('old' | 'new' | '-'), receipt JSON
  Output: how many were committed (a message already committed or aborted is skipped).
]]
local intents = { old = KEYS[1], new = KEYS[2] }
local streams = { old = KEYS[3], new = KEYS[4] }
local prefix, packed = ARGV[1], ARGV[2]
local pos = 1
local function field()
  local stop = string.find(packed, '\n', pos, true)
  local value = string.sub(packed, pos, stop - 1)
  pos = stop + 1
  return value
end
local committed = 0
while pos <= #packed do
  local id, primary, secondary, receipt = field(), field(), field(), field()
  local key = prefix .. id
  local seen = redis.call('GET', key)
  if seen and string.sub(seen, 1, 1) == 'p' then
    local fpEnd = string.find(seen, '|', 3, true)
    local triesEnd = string.find(seen, '|', fpEnd + 1, true)
    -- 'c|fp|tries|' + receipt; the record itself leaves Redis with the stream entry.
    redis.call('SET', key, 'c' .. string.sub(seen, 2, triesEnd) .. receipt, 'KEEPTTL')
    redis.call('ZREM', intents[primary], id)
    if streams[secondary] then
      redis.call('XADD', streams[secondary], '*', 'r', string.sub(seen, triesEnd + 1), 'a', 0)
    end
    committed = committed + 1
  end
end
return committed
