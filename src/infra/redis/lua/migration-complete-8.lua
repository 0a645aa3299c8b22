--[[
  Finish a held unit (fenced by owner): drop it from the open set, add its counters, its
  mismatches (up to a cap) and the users it found matching or differing. The last unit of a job
  whose listing is done moves the job to finalizing.
  KEYS[1] job hash, KEYS[2] open units, KEYS[3] owners, KEYS[4] unit descriptors,
  KEYS[5] checkpoints, KEYS[6] mismatches list, KEYS[7] candidates set, KEYS[8] held set
  ARGV[1] job id, ARGV[2] unit key, ARGV[3] owner, ARGV[4] mismatches kept at most
  ARGV[5] c = counter pairs, ARGV[6] m = mismatches, ARGV[7] v = verified users, ARGV[8] h = held users
  then c pairs (name, increment), m mismatch JSONs, v user ids, h user ids
  Output: 1 finished; 0 not the holder (or another job).
]]
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] or redis.call('HGET', KEYS[3], ARGV[2]) ~= ARGV[3] then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[2])
redis.call('HDEL', KEYS[5], ARGV[2])
local i = 9
for _ = 1, tonumber(ARGV[5]) do
  redis.call('HINCRBY', KEYS[1], 'n:' .. ARGV[i], ARGV[i + 1])
  i = i + 2
end
local cap = tonumber(ARGV[4])
for _ = 1, tonumber(ARGV[6]) do
  if redis.call('LLEN', KEYS[6]) < cap then
    redis.call('RPUSH', KEYS[6], ARGV[i])
  end
  i = i + 1
end
for _ = 1, tonumber(ARGV[7]) do
  redis.call('SADD', KEYS[7], ARGV[i])
  i = i + 1
end
for _ = 1, tonumber(ARGV[8]) do
  redis.call('SADD', KEYS[8], ARGV[i])
  i = i + 1
end
local job = redis.call('HMGET', KEYS[1], 'phase', 'status')
if job[1] == 'done' and job[2] == 'running' and redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[1], 'status', 'finalizing')
end
return 1
