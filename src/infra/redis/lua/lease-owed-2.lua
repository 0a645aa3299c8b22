--[[
  Lease writes owed to one side that are due (queued for any instance, a retry whose backoff has
  passed, or a lease that ran out: its holder died or stalled), oldest first.
  KEYS[1] owed sorted set of the side (positive scores; see keys.ts, RedisKeys.owed)
  KEYS[2] the side's tries hash (member → tries made)
  ARGV[1] now (ms)
  ARGV[2] max count
  ARGV[3] lease end (ms): the score they get, which also fences the caller's later retry or dead letter
  Output: in pairs, each leased member (the record JSON) and the tries already made.
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], 0, ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
local anyTries = #due > 0 and redis.call('HLEN', KEYS[2]) > 0
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[3], member)
  out[#out + 1] = member
  out[#out + 1] = anyTries and redis.call('HGET', KEYS[2], member) or '0'
end
return out
