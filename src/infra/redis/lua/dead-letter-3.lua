--[[
  Give up on a write owed to a side: move it to the dead-letter stream, in one step. Fenced like
  retry-2.lua: refused only while another instance holds its lease.
  KEYS[1] owed sorted set of the side
  KEYS[2] the side's tries hash
  KEYS[3] dead-letter stream of the side
  ARGV[1] member (record JSON)
  ARGV[2] the caller's lease
  ARGV[3] dead-letter max length (approximate trim)
  ARGV[4] attempts made
  ARGV[5] reason
  ARGV[6] now (ms)
  Output: the dead-letter entry id, or false if another instance holds the lease.
  A dead letter's fields: r record JSON, a attempts, why, at, k kind ('secondary' here; see
  dead-letter-intent-3.lua for 'recovery'), which redrive-4.lua reads.
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) ~= tonumber(ARGV[2]) then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'r', ARGV[1], 'a', ARGV[4], 'why', ARGV[5], 'at', ARGV[6], 'k', 'secondary')
