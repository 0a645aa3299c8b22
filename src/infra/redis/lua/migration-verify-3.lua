--[[
  Mark users verified, each once, in the order given, with its own sequence number so that
  instances can follow the set by "everything after the sequence I saw".
  KEYS[1] verified sorted set (user -> sequence), KEYS[2] sequence counter, KEYS[3] held set
  ARGV user ids (candidates; those in the held set are skipped)
  Output: how many became verified now.
]]
local added = 0
for i = 1, #ARGV do
  local user = ARGV[i]
  if redis.call('SISMEMBER', KEYS[3], user) == 0 and not redis.call('ZSCORE', KEYS[1], user) then
    redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), user)
    added = added + 1
  end
end
return added
