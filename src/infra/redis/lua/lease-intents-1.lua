--[[
  Lease unconfirmed primaries whose grace has passed, so one instance recovers each, and answer
  their records in the same step. An intent whose record is gone or committed (Redis lost part of
  its data) owes nothing and is removed here, atomically, so a begin of the same id racing the
  clean-up is never undone.
  KEYS[1] intents sorted set of one side
  ARGV[1] now (ms)
  ARGV[2] max count
  ARGV[3] lease end (ms): the score they get, hiding them from other instances until then
  ARGV[4] key prefix of the shard's dedupe records (see begin-2.lua; same hash tag as KEYS[1])
  Output: in pairs, each leased message id and its pending record ('p|fp|tries|record JSON').
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, id in ipairs(due) do
  local seen = redis.call('GET', ARGV[4] .. id)
  if seen and string.sub(seen, 1, 1) == 'p' then
    redis.call('ZADD', KEYS[1], ARGV[3], id)
    out[#out + 1] = id
    out[#out + 1] = seen
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
