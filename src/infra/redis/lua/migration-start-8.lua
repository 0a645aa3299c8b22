--[[
  Start a migration job unless one is running, paused or finalizing; the last job's units,
  checkpoints, report and candidates go, its counters with it. Verified users stay: verification
  only grows.
  KEYS[1] job hash {id, job = JSON, status, phase, cursor, n:<counter>...}
  KEYS[2] unit descriptors hash (key -> unit JSON)
  KEYS[3] open units sorted set (key -> lease end ms; 0 = nobody holds it)
  KEYS[4] unit owners hash (key -> instance)
  KEYS[5] checkpoints hash (key -> old side cursor)
  KEYS[6] mismatches list (JSON)
  KEYS[7] verified candidates set (users some unit found matching)
  KEYS[8] held set (users some unit found differing)
  ARGV[1] job id
  ARGV[2] job JSON
  ARGV[3] status ('running')
  Output: 1 started; 0 refused (a job is not finished).
]]
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'running' or status == 'paused' or status == 'finalizing' then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'job', ARGV[2], 'status', ARGV[3], 'phase', 'user', 'cursor', '-')
return 1
