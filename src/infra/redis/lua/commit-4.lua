--[[
  Confirm primaries (a batch, one shard): keep the receipt's fields as the dedupe record, drop the intent,
  queue the secondary, and lease the queued secondaries to the calling instance at once.
  KEYS[1] intents sorted set of side old
  KEYS[2] intents sorted set of side new
  KEYS[3] outbox stream of side old
  KEYS[4] outbox stream of side new
  ARGV[1] key prefix of the shard's dedupe records (see begin-2.lua)
  ARGV[2] consumer group
  ARGV[3] the calling instance's consumer name
  ARGV[4] '1' to lease this batch's writes owed to old to the caller, '0' to leave them queued
  ARGV[5] the same for new
  ARGV[6] dedupe window (ms): a committed record is remembered this long
  ARGV[7] the batch, packed (lib/packed-fields.lua): per message five fields: id, primary side,
          secondary side ('old' | 'new' | '-'), state version, accepted at (ms): with the id, the
          receipt a retry of the same id is answered with
  Output: per message the id of its secondary's stream entry if it was leased to the caller (the
          caller holds the record, so it does not come back), '?' if its dedupe record is gone
          (Redis lost it: the caller re-commits it from the record it holds, see recommit-2.lua),
          '' otherwise (no secondary, already committed, or left queued). Then, in fours (side, entry id, record JSON, tries),
          older unread entries the lease took first: XREADGROUP reads oldest first, so a write this
          batch queued may stay queued for a normal lease, and is never lost either way.
]]
local intents = { old = KEYS[1], new = KEYS[2] }
local streams = { old = KEYS[3], new = KEYS[4] }
local prefix, group, consumer = ARGV[1], ARGV[2], ARGV[3]
local lease = { old = ARGV[4] == '1', new = ARGV[5] == '1' }
local window = ARGV[6]
local field = fieldsOf(ARGV[7])
local out = {}
-- Per side: entry id -> index in out, and how many, of the writes to lease.
local queued = { old = {}, new = {} }
local counts = { old = 0, new = 0 }
for id in field do
  local primary, secondary, version, acceptedAt = field(), field(), field(), field()
  local key = prefix .. id
  local seen = redis.call('GET', key)
  out[#out + 1] = seen and '' or '?'
  if seen and string.sub(seen, 1, 1) == 'p' then
    local fpEnd = string.find(seen, '|', 3, true)
    local triesEnd = string.find(seen, '|', fpEnd + 1, true)
    -- 'c|fp|tries|primary|secondary|version|acceptedAt'; the record leaves Redis with the stream entry.
    redis.call('SET', key, 'c' .. string.sub(seen, 2, triesEnd) .. primary .. '|' .. secondary .. '|' .. version .. '|' .. acceptedAt, 'PX', window)
    redis.call('ZREM', intents[primary], id)
    if streams[secondary] then
      local ref = redis.call('XADD', streams[secondary], '*', 'r', string.sub(seen, triesEnd + 1), 'a', 0)
      if lease[secondary] then
        queued[secondary][ref] = #out
        counts[secondary] = counts[secondary] + 1
      end
    end
  end
end
for side, count in pairs(counts) do
  if count > 0 then
    local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', streams[side], '>')
    for _, entry in ipairs(read and read[1][2] or {}) do
      local ref, fields = entry[1], entry[2]
      if queued[side][ref] then
        out[queued[side][ref]] = ref
      else
        local record, tries = '', '0'
        for f = 1, #fields, 2 do
          if fields[f] == 'r' then record = fields[f + 1] elseif fields[f] == 'a' then tries = fields[f + 1] end
        end
        out[#out + 1] = side; out[#out + 1] = ref; out[#out + 1] = record; out[#out + 1] = tries
      end
    end
  end
end
return out
