--[[
  Give up on a secondary write: move it to the dead-letter stream, in one step. Fenced like
  retry-2.lua: refused only while another consumer holds the entry's lease.
  KEYS[1] outbox stream
  KEYS[2] dead-letter stream
  ARGV[1] consumer group
  ARGV[2] stream entry id
  ARGV[3] dead-letter max length (approximate trim)
  ARGV[4] record JSON
  ARGV[5] attempts made
  ARGV[6] reason
  ARGV[7] now (ms)
  ARGV[8] the calling instance's consumer name
  Output: the dead-letter entry id, or false if another consumer holds the lease.
  A dead letter's fields: r record JSON, a attempts, why, at, k kind ('secondary' here; see
  dead-letter-intent-3.lua for 'recovery'), which redrive-3.lua reads.
]]
local held = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if held[1] and held[1][2] ~= ARGV[8] then return false end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'r', ARGV[4], 'a', ARGV[5], 'why', ARGV[6], 'at', ARGV[7], 'k', 'secondary')
