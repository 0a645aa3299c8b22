--[[
  Adopt what builds before the owed sets left queued for one side (a rolling deploy runs both):
  every entry of their outbox stream, held by one of their consumers or not, and every retry,
  becomes a write owed to the side in the owed set. Entries are deleted from the stream once
  adopted, and the stream itself is kept, so an older instance still running keeps its consumer
  group; what it writes meanwhile is delivered twice at worst, which the side takes once by id.
  KEYS[1] the legacy outbox stream (fields r record JSON, a attempts)
  KEYS[2] the legacy retry sorted set (member 'attempt|record JSON', score due time)
  KEYS[3] owed sorted set of the side
  KEYS[4] the side's tries hash
  ARGV[1] now (ms)
  ARGV[2] max count per call
  Output: how many were adopted (less than ARGV[2]: nothing is left).
]]
local now, max = ARGV[1], tonumber(ARGV[2])
local adopted = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  for _, row in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', max)) do
    local f = {}
    local fields = row[2]
    for i = 1, #fields, 2 do f[fields[i]] = fields[i + 1] end
    if f.r then
      redis.call('ZADD', KEYS[3], 'NX', now, f.r)
      if tonumber(f.a or '0') > 0 then redis.call('HSET', KEYS[4], f.r, f.a) end
    end
    redis.call('XDEL', KEYS[1], row[1])
    adopted = adopted + 1
  end
end
if adopted < max then
  -- WITHSCORES answers member, score, member, score …
  local rows = redis.call('ZRANGE', KEYS[2], 0, max - adopted - 1, 'WITHSCORES')
  for i = 1, #rows, 2 do
    local member, due = rows[i], rows[i + 1]
    local sep = string.find(member, '|', 1, true)
    local json = string.sub(member, sep + 1)
    redis.call('ZADD', KEYS[3], 'NX', due, json)
    redis.call('HSET', KEYS[4], json, string.sub(member, 1, sep - 1))
    redis.call('ZREM', KEYS[2], member)
    adopted = adopted + 1
  end
end
return adopted
