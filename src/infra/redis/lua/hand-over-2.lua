--[[
  A request gave up on an ambiguous primary answer (a timeout, a reset, a 5xx: the side may hold
  the message): recovery takes the message from the given time instead of after the whole grace.
  Fenced like abort-2.lua: only while the intent still has the score its begin gave it. If Redis
  lost the begin meanwhile (a crash, a flush), it is begun again from the record the caller holds,
  or nothing would ever recover it.
  KEYS[1] where the intent waits (see abort-2.lua, KEYS[2])
  KEYS[2] dedupe record ('st|fp|tries|payload', see begin-4.lua)
  ARGV[1] the intent's member
  ARGV[2] the intent's score as begun (ms, negated in an owed set)
  ARGV[3] the score that lets recovery take it from the time it names
  ARGV[4] the pending record to write if Redis lost it ('p|fp|0|record JSON')
  Output: 1 if handed over (or begun again), 0 if recovery already holds it (or it was settled).
]]
local seen = redis.call('GET', KEYS[2])
if not seen then
  redis.call('SET', KEYS[2], ARGV[4])
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
