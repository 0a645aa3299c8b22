--[[
  Add one page of a listing as open units and move the listing on, iff it is still where the
  caller read it: instances race for the next page, one adds it, the others read again.
  KEYS[1] job hash (see migration-start-8.lua)
  KEYS[2] unit descriptors hash
  KEYS[3] open units sorted set
  ARGV[1] job id
  ARGV[2] from phase, ARGV[3] from cursor ('-' = the listing's first page, else 'c' .. cursor)
  ARGV[4] to phase,   ARGV[5] to cursor (same encoding)
  ARGV[6] n = number of counter pairs, then n pairs (counter name, increment)
  then pairs (unit key, unit JSON)
  Output: 1 moved; 0 the listing had moved (or another job runs).
]]
local job = redis.call('HMGET', KEYS[1], 'id', 'phase', 'cursor', 'status')
if job[1] ~= ARGV[1] or job[2] ~= ARGV[2] or job[3] ~= ARGV[3] then
  return 0
end
redis.call('HSET', KEYS[1], 'phase', ARGV[4], 'cursor', ARGV[5])
local n = tonumber(ARGV[6])
local i = 7
for _ = 1, n do
  redis.call('HINCRBY', KEYS[1], 'n:' .. ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i < #ARGV do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[3], 0, ARGV[i])
  end
  i = i + 2
end
if ARGV[4] == 'done' and job[4] == 'running' and redis.call('ZCARD', KEYS[3]) == 0 then
  redis.call('HSET', KEYS[1], 'status', 'finalizing')
end
return 1
