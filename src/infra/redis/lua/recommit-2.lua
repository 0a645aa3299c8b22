--[[
  Re-commit messages whose dedupe record Redis lost (a crash that lost the AOF's last second, a
  FLUSHALL) while the committing gateway still holds them: their primary has the message, so the
  record is written as committed and the secondary queued again (due now), from the record the
  caller sends.
  KEYS[1] owed sorted set of side old
  KEYS[2] owed sorted set of side new
  ARGV[1] key prefix of the shard's dedupe records (see begin-4.lua)
  ARGV[2] dedupe window (ms)
  ARGV[3] now (ms)
  ARGV[4] the batch, packed (lib/packed-fields.lua): per message seven fields: id, primary side,
          secondary side ('old' | 'new' | '-'), content fingerprint ('-' for an id the gateway
          made), state version, accepted at (ms), record JSON
  Output: per message 1 if it was re-committed, 0 if the id is known again by now (a retry began
          it anew, which commits it itself).
]]
local owed = { old = KEYS[1], new = KEYS[2] }
local prefix, window, now = ARGV[1], ARGV[2], ARGV[3]
local field = fieldsOf(ARGV[4])
local out = {}
for id in field do
  local primary, secondary, fp, version, acceptedAt, json = field(), field(), field(), field(), field(), field()
  -- Queue first: if the ZADD fails, nothing is written and a re-send finds the id still unknown.
  if redis.call('EXISTS', prefix .. id) == 0 then
    if owed[secondary] then redis.call('ZADD', owed[secondary], now, json) end
    redis.call('SET', prefix .. id, 'c|' .. fp .. '|0|' .. primary .. '|' .. secondary .. '|' .. version .. '|' .. acceptedAt, 'PX', window)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
