--[[
  Record a held unit's progress, or extend its lease, fenced by owner: an instance whose unit
  was taken over cannot move it.
  KEYS[1] job hash, KEYS[2] owners hash, KEYS[3] checkpoints hash, KEYS[4] open units sorted set
  ARGV[1] job id, ARGV[2] unit key, ARGV[3] owner
  ARGV[4] checkpoint: '' = leave it, '-' = clear it, else 'c' .. cursor
  ARGV[5] lease end (ms), or '' to leave it
  then pairs (counter name, increment)
  Output: 1 recorded; 0 not the holder (or another job).
]]
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] or redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[3] then
  return 0
end
if ARGV[4] == '-' then
  redis.call('HDEL', KEYS[3], ARGV[2])
elseif ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[2], string.sub(ARGV[4], 2))
end
if ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[4], 'XX', ARGV[5], ARGV[2])
end
for i = 6, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], 'n:' .. ARGV[i], ARGV[i + 1])
end
return 1
