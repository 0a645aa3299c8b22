--[[
  Confirm primaries (a batch, one shard): keep the receipt's fields as the dedupe record, and
  queue the secondary by rescoring the message's member in the secondary's owed set, leased to
  the calling instance at once (or due now, for any instance); a message with no secondary
  leaves the intents set.
  KEYS[1] intents sorted set of side old
  KEYS[2] intents sorted set of side new
  KEYS[3] owed sorted set of side old
  KEYS[4] owed sorted set of side new
  ARGV[1] key prefix of the shard's dedupe records (see begin-4.lua)
  ARGV[2] dedupe window (ms): a committed record is remembered this long
  ARGV[3] '1' to lease this batch's writes owed to old to the caller, '0' to leave them due now
  ARGV[4] the same for new
  ARGV[5] the caller's lease end (ms), the score of the writes it leases
  ARGV[6] now (ms), the score of the writes it leaves to any instance
  ARGV[7] the batch, packed (lib/packed-fields.lua): per message six fields: id, primary side,
          secondary side ('old' | 'new' | '-'), content fingerprint, state version, accepted at
          (ms): with the id, the receipt a retry of the same id is answered with
  Output: per message '1' if its secondary was leased to the caller (who holds the record),
          '?' if its dedupe record is gone (Redis lost it: the caller re-commits it from the
          record it holds, see recommit-2.lua), '' otherwise (no secondary, already committed,
          or left due).
  One SET … GET and one sorted-set call per message: the record is written before it is read,
  so a lost or already committed one is put back as it was.
]]
local intents = { old = KEYS[1], new = KEYS[2] }
local owed = { old = KEYS[3], new = KEYS[4] }
local prefix, window = ARGV[1], ARGV[2]
local score = { old = ARGV[3] == '1' and ARGV[5] or ARGV[6], new = ARGV[4] == '1' and ARGV[5] or ARGV[6] }
local leased = { old = ARGV[3] == '1', new = ARGV[4] == '1' }
local field = fieldsOf(ARGV[7])
local out = {}
for id in field do
  local primary, secondary, fp, version, acceptedAt = field(), field(), field(), field(), field()
  local key = prefix .. id
  local seen = redis.call('SET', key, 'c|' .. fp .. '|0|' .. primary .. '|' .. secondary .. '|' .. version .. '|' .. acceptedAt, 'PX', window, 'GET')
  if not seen then
    redis.call('DEL', key)
    out[#out + 1] = '?'
  elseif string.sub(seen, 1, 1) ~= 'p' then
    -- Committed before (a recovery, or this commit sent again): its receipt stands, nothing is queued twice.
    redis.call('SET', key, seen, 'KEEPTTL')
    out[#out + 1] = ''
  elseif owed[secondary] then
    local fpEnd = string.find(seen, '|', 3, true)
    local triesEnd = string.find(seen, '|', fpEnd + 1, true)
    redis.call('ZADD', owed[secondary], score[secondary], string.sub(seen, triesEnd + 1))
    out[#out + 1] = leased[secondary] and '1' or ''
  else
    redis.call('ZREM', intents[primary], id)
    out[#out + 1] = ''
  end
end
return out
