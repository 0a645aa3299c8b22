--[[
  Add the users one instance saw online in one minute, then raise the hour's peak to the minute's
  count. Every instance does it after each of its adds, so the count taken after a minute's last
  add (from whichever instance) is the whole fleet's: the peak only grows, and adding the same
  users again changes nothing, so repeating a call, or two instances racing, gives the same peak.
  KEYS[1] HyperLogLog of the users online on one side in one UTC minute
  KEYS[2] the hour's usage hash
  ARGV[1] the HyperLogLog's time to live (seconds)
  ARGV[2] the hash field of the side's peak (`old:peak`)
  ARGV[3..] user ids
  Output: the minute's count.
]]
-- In slices: unpack() of more values than Lua's C stack holds fails.
for i = 3, #ARGV, 4000 do
  redis.call('PFADD', KEYS[1], unpack(ARGV, i, math.min(i + 3999, #ARGV)))
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
local count = redis.call('PFCOUNT', KEYS[1])
if count > (tonumber(redis.call('HGET', KEYS[2], ARGV[2])) or 0) then
  redis.call('HSET', KEYS[2], ARGV[2], count)
end
return count
