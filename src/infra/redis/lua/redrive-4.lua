--[[
  Give dead letters another round of tries, each as the kind of write it was.
  KEYS[1] dead-letter stream of one side
  KEYS[2] owed sorted set of the same side
  KEYS[3] intents sorted set of the same side
  KEYS[4] owed sorted set of the other side
  ARGV[1] max count
  ARGV[2] key prefix of the shard's dedupe records (see begin-4.lua)
  ARGV[3] now (ms)
  A 'secondary' dead letter (also one with no kind) is owed to the side again, due now. A
  'recovery' one is a primary that was never confirmed: it is begun again (pending record, no
  TTL, and an intent due now, where begin-4.lua puts it), so recovery writes the primary and its
  commit then queues the secondary; unless its id is known again by now (a retry of the client
  sent it anew, which owes both sides itself).
  Output: how many were moved (oldest first).
]]
local prefix, now = ARGV[2], ARGV[3]
local rows = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[1])
for _, row in ipairs(rows) do
  local f = {}
  local fields = row[2]
  for i = 1, #fields, 2 do f[fields[i]] = fields[i + 1] end
  if f.k == 'recovery' then
    -- A letter whose record does not parse is left out rather than block every later redrive.
    local ok, record = pcall(cjson.decode, f.r or '')
    local id = ok and type(record) == 'table' and type(record.message) == 'table' and record.message.id
    if type(id) == 'string' and redis.call('SET', prefix .. id, 'p|' .. (f.fp or '-') .. '|0|' .. f.r, 'NX') then
      if type(record.secondary) == 'string' then
        redis.call('ZADD', KEYS[4], '-' .. now, f.r)
      else
        redis.call('ZADD', KEYS[3], now, id)
      end
    end
  elseif f.r then
    redis.call('ZADD', KEYS[2], now, f.r)
  end
  redis.call('XDEL', KEYS[1], row[1])
end
return #rows
