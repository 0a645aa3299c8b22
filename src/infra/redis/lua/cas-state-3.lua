--[[
  Compare-and-set the rollout state, audit it and publish it, atomically.
  KEYS[1] state hash {v = version, s = state JSON}
  KEYS[2] audit stream
  KEYS[3] the note a gateway leaves when it found the state record gone (see StateStore.noteLoss)
  ARGV[1] expected version (0 = nothing stored yet)
  ARGV[2] next state JSON (its version is ARGV[1] + 1)
  ARGV[3] audit entry JSON
  ARGV[4] audit stream max length (approximate trim)
  ARGV[5] pub/sub channel
  ARGV[6] '1': do not create a record (expected version 0) while a loss is noted; '0': do
  Output: {1, next JSON} on success; {0, current JSON or false} on a version conflict;
          {-1, false} when creation was refused because a loss is noted.
]]
local current = redis.call('HMGET', KEYS[1], 'v', 's')
local version = tonumber(current[1]) or 0
if version ~= tonumber(ARGV[1]) then
  return {0, current[2]}
end
if version == 0 and ARGV[6] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then
  return {-1, false}
end
redis.call('HSET', KEYS[1], 'v', version + 1, 's', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'e', ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[2])
return {1, ARGV[2]}
