--[[
  Lease unconfirmed primaries whose grace has passed, so one instance recovers each.
  KEYS[1] intents sorted set of one side
  ARGV[1] now (ms)
  ARGV[2] max count
  ARGV[3] lease end (ms): the score they get, hiding them from other instances until then
  Output: the leased message ids.
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[3], id)
end
return due
