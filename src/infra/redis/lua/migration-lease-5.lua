--[[
  Hold the next open unit nobody holds (or whose holder's lease ran out) until the lease end.
  KEYS[1] job hash, KEYS[2] open units sorted set, KEYS[3] owners hash,
  KEYS[4] unit descriptors hash, KEYS[5] checkpoints hash
  ARGV[1] job id, ARGV[2] owner, ARGV[3] now (ms), ARGV[4] lease end (ms)
  Output: false when nothing is due (or the job is not running);
          else {key, unit JSON, checkpoint or false, 1 if taken over from another owner else 0}.
]]
local job = redis.call('HMGET', KEYS[1], 'id', 'status')
if job[1] ~= ARGV[1] or job[2] ~= 'running' then
  return false
end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3], 'LIMIT', 0, 1)
local key = due[1]
if not key then
  return false
end
local previous = redis.call('HGET', KEYS[3], key)
redis.call('ZADD', KEYS[2], ARGV[4], key)
redis.call('HSET', KEYS[3], key, ARGV[2])
local takenOver = 0
if previous and previous ~= ARGV[2] then
  takenOver = 1
  redis.call('HINCRBY', KEYS[1], 'n:takenOver', 1)
end
return {key, redis.call('HGET', KEYS[4], key), redis.call('HGET', KEYS[5], key), takenOver}
