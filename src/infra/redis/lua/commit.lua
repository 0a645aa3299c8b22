--[[
  Confirm primaries (a batch, one shard): remember the receipt, drop the intent, queue the secondary.
  KEYS[1] intents sorted set of side old
  KEYS[2] intents sorted set of side new
  KEYS[3] outbox stream of side old
  KEYS[4] outbox stream of side new
  KEYS[5..] message hashes, one per message
  ARGV    per message, four values: id, primary side, secondary side ('old' | 'new' | '-'), receipt JSON
  Output: how many were committed (a message already committed or aborted is skipped).
]]
local committed = 0
local intents = { old = KEYS[1], new = KEYS[2] }
local streams = { old = KEYS[3], new = KEYS[4] }
for i = 5, #KEYS do
  local base = (i - 5) * 4
  local id, primary, secondary, receipt = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  local seen = redis.call('HMGET', KEYS[i], 'rec', 'st')
  local record = seen[1]
  if record and seen[2] == 'p' then
    redis.call('HSET', KEYS[i], 'st', 'c', 'rc', receipt)
    redis.call('HDEL', KEYS[i], 'rec', 'ra')
    redis.call('ZREM', intents[primary], id)
    if streams[secondary] then
      redis.call('XADD', streams[secondary], '*', 'r', record, 'a', 0)
    end
    committed = committed + 1
  end
end
return committed
