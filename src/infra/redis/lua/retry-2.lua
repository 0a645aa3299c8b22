--[[
  Schedule a failed write owed to a side again, counting the try. Fenced: one whose lease another
  instance took over changes nothing. One no longer in the owed set (Redis lost it, or a holder
  that took it over settled it) is scheduled all the same: the write is owed as far as anyone can
  tell, and a second delivery is taken once by id, while a dropped one would be lost.
  KEYS[1] owed sorted set of the side
  KEYS[2] the side's tries hash
  ARGV[1] member (record JSON)
  ARGV[2] the caller's lease (the score it leased the write at)
  ARGV[3] due time of the next try (ms)
  ARGV[4] tries made so far
  Output: 1 if scheduled, 0 if another instance holds the lease.
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
return 1
