--[[
  Write-ahead append of a batch of messages (one shard): the commit point of each send.
  KEYS[1] intents sorted set of side old (member = message id, score = when recovery may take it, ms)
  KEYS[2] intents sorted set of side new
  KEYS[3..] message hashes, one per message {st = p(ending)|c(ommitted), fp = fingerprint, rec = record JSON, rc = receipt JSON}
  ARGV[1] dedupe window (ms)
  ARGV[2..] per message, five values: id, primary side ('old' | 'new'), fingerprint of the content,
            record JSON, due time for recovery (ms)
  Output: per message, two values: 'new' | 'duplicate' | 'in_flight' | 'mismatch', then the
          receipt JSON for a duplicate ('' otherwise). Messages are taken in order, so the same id
          twice in one batch is 'new' then 'in_flight'.
]]
local intents = { old = KEYS[1], new = KEYS[2] }
local out = {}
for i = 3, #KEYS do
  local base = 1 + (i - 3) * 5
  local id, primary, fp, record, due = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4], ARGV[base + 5]
  local seen = redis.call('HMGET', KEYS[i], 'st', 'fp', 'rc')
  if seen[1] then
    if seen[2] ~= fp then
      out[#out + 1] = 'mismatch'; out[#out + 1] = ''
    elseif seen[1] == 'p' then
      out[#out + 1] = 'in_flight'; out[#out + 1] = ''
    else
      out[#out + 1] = 'duplicate'; out[#out + 1] = seen[3] or ''
    end
  else
    redis.call('HSET', KEYS[i], 'st', 'p', 'fp', fp, 'rec', record)
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    redis.call('ZADD', intents[primary], due, id)
    out[#out + 1] = 'new'; out[#out + 1] = ''
  end
end
return out
