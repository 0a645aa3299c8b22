--[[
  Give up on a secondary write: move it to the dead-letter stream, in one step.
  KEYS[1] outbox stream
  KEYS[2] dead-letter stream
  ARGV[1] consumer group
  ARGV[2] stream entry id
  ARGV[3] dead-letter max length (approximate trim)
  ARGV[4] record JSON
  ARGV[5] attempts made
  ARGV[6] reason
  ARGV[7] now (ms)
  Output: the dead-letter entry id.
]]
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'r', ARGV[4], 'a', ARGV[5], 'why', ARGV[6], 'at', ARGV[7])
