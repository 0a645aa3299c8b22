--[[
  A request gave up on an ambiguous primary answer (a timeout, a reset, a 5xx: the side may hold
  the message): recovery takes the message from the given time instead of after the whole grace.
  Fenced like abort-2.lua: only while the intent still has the score its begin gave it.
  KEYS[1] intents sorted set of the primary side
  ARGV[1] message id
  ARGV[2] the intent's score as begun (ms)
  ARGV[3] when recovery may take it (ms)
  Output: 1 if handed over, 0 if recovery already holds it (or it was settled).
]]
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
