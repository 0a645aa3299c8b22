--[[
  Move a job to a status iff its id matches and its status is one of those given.
  KEYS[1] job hash
  ARGV[1] job id, ARGV[2] new status, ARGV[3] finished at ('' = leave it), then the allowed statuses
  Output: 1 moved; 0 not.
]]
local job = redis.call('HMGET', KEYS[1], 'id', 'status')
if job[1] ~= ARGV[1] then
  return 0
end
for i = 4, #ARGV do
  if job[2] == ARGV[i] then
    redis.call('HSET', KEYS[1], 'status', ARGV[2])
    if ARGV[3] ~= '' then
      redis.call('HSET', KEYS[1], 'finishedAt', ARGV[3])
    end
    return 1
  end
end
return 0
