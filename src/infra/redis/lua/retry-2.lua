--[[
  Take a failed write off the stream and schedule it again.
  KEYS[1] outbox stream
  KEYS[2] retry sorted set
  ARGV[1] consumer group
  ARGV[2] stream entry id
  ARGV[3] due time (ms)
  ARGV[4] member: next attempt .. '|' .. record JSON
  Output: 1
]]
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
