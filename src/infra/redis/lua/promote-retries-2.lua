--[[
  Move retries whose backoff has passed back into the outbox stream.
  KEYS[1] retry sorted set (member = attempt .. '|' .. record JSON, score = due time ms)
  KEYS[2] outbox stream
  ARGV[1] now (ms)
  ARGV[2] max count
  Output: how many were moved.
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
  local sep = string.find(member, '|', 1, true)
  redis.call('XADD', KEYS[2], '*', 'r', string.sub(member, sep + 1), 'a', string.sub(member, 1, sep - 1))
  redis.call('ZREM', KEYS[1], member)
end
return #due
