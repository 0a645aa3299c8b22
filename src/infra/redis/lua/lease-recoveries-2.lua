--[[
  Lease unconfirmed primaries on one side whose grace has passed, so one instance recovers each,
  and answer their records in the same step. An intent whose record is gone or committed (Redis
  lost part of its data) owes nothing and is removed here, atomically, so a begin of the same id
  racing the clean-up is never undone.
  KEYS[1] intents sorted set of the side (messages with no secondary; member = id, score = due)
  KEYS[2] owed sorted set of the other side (a message with a secondary there: member = record
          JSON, score = minus its due time; see begin-4.lua)
  ARGV[1] now (ms)
  ARGV[2] max count
  ARGV[3] lease end (ms): the score they get (negated in KEYS[2]), hiding them until then
  ARGV[4] key prefix of the shard's dedupe records (see begin-4.lua; same hash tag as KEYS)
  Output: in pairs, each leased intent's member (the id in KEYS[1], the record JSON in KEYS[2])
          and its pending record ('p|fp|tries|record JSON'); the caller tells them apart by the
          record's secondary.
]]
local now, max, leaseEnd, prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local out = {}
local function lease(set, member, id, score)
  local seen = redis.call('GET', prefix .. id)
  if seen and string.sub(seen, 1, 1) == 'p' then
    redis.call('ZADD', set, score, member)
    out[#out + 1] = member
    out[#out + 1] = seen
  else
    redis.call('ZREM', set, member)
  end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, max)) do
  lease(KEYS[1], id, id, leaseEnd)
end
local room = max - #out / 2
if room > 0 then
  -- Earliest due first: the scores closest to 0.
  for _, json in ipairs(redis.call('ZREVRANGEBYSCORE', KEYS[2], '(0', '-' .. now, 'LIMIT', 0, room)) do
    local ok, record = pcall(cjson.decode, json)
    local id = ok and type(record) == 'table' and type(record.message) == 'table' and record.message.id
    if type(id) == 'string' then lease(KEYS[2], json, id, '-' .. leaseEnd) end
  end
end
return out
