--[[
  Re-commit messages whose dedupe record Redis lost (a crash that lost the AOF's last second, a
  FLUSHALL) while the committing gateway still holds them: their primary has the message, so the
  record is written as committed and the secondary queued again, from the record the caller sends.
  KEYS[1] outbox stream of side old
  KEYS[2] outbox stream of side new
  ARGV[1] key prefix of the shard's dedupe records (see begin-2.lua)
  ARGV[2] dedupe window (ms)
  ARGV[3] the batch, packed (lib/packed-fields.lua): per message seven fields: id, primary side,
          secondary side ('old' | 'new' | '-'), state version, accepted at (ms), content
          fingerprint ('-' for an id the gateway made), record JSON
  Output: per message 1 if it was re-committed, 0 if the id is known again by now (a retry began
          it anew, which commits it itself).
]]
local streams = { old = KEYS[1], new = KEYS[2] }
local prefix, window = ARGV[1], ARGV[2]
local field = fieldsOf(ARGV[3])
local out = {}
for id in field do
  local primary, secondary, version, acceptedAt, fp, record = field(), field(), field(), field(), field(), field()
  local receipt = 'c|' .. fp .. '|0|' .. primary .. '|' .. secondary .. '|' .. version .. '|' .. acceptedAt
  -- Queue first: if the XADD fails, nothing is written and a re-send finds the id still unknown.
  if redis.call('EXISTS', prefix .. id) == 0 then
    if streams[secondary] then redis.call('XADD', streams[secondary], '*', 'r', record, 'a', 0) end
    redis.call('SET', prefix .. id, receipt, 'PX', window)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
