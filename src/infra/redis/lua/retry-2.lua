--[[
  Take a failed write off the stream and schedule it again. Fenced: one whose lease another
  instance took over changes nothing. An entry no consumer holds (Redis lost it, or another
  holder settled it) is scheduled all the same: the write is owed as far as anyone can tell, and
  a second delivery is taken once by id, while a dropped one would be lost.
  KEYS[1] outbox stream
  KEYS[2] retry sorted set
  ARGV[1] consumer group
  ARGV[2] stream entry id
  ARGV[3] due time (ms)
  ARGV[4] member: next attempt .. '|' .. record JSON
  ARGV[5] the calling instance's consumer name
  Output: 1 if scheduled, 0 if another consumer holds the lease.
]]
local held = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if held[1] and held[1][2] ~= ARGV[5] then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
