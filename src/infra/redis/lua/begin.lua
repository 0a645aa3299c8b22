--[[
  Write-ahead append of a batch of messages (one shard): the commit point of each send.
  KEYS[1] intents sorted set of side old (member = message id, score = when recovery may take it, ms)
  KEYS[2] intents sorted set of side new
  KEYS[3..] dedupe records, one per message: a string 'st|fp|tries|payload' (st p(ending) with the
            record JSON as payload, or c(ommitted) with the receipt JSON), expiring after the window
  ARGV[1] dedupe window (ms)
  ARGV[2..] per message, four values: id, primary side ('old' | 'new'), the pending record
            'p|fp|0|record JSON' (fp: hash of the content, '-' for an id the gateway made), due time
            for recovery (ms)
  Output: per message, two values: 'new' | 'duplicate' | 'in_flight' | 'mismatch', then the
          receipt JSON for a duplicate ('' otherwise). Messages are taken in order, so the same id
          twice in one batch is 'new' then 'in_flight'.
  Two calls per new message: SET NX GET writes the record only if the id is unknown, and returns
  what was there if not.
]]
local intents = { old = KEYS[1], new = KEYS[2] }
local out = {}
for i = 3, #KEYS do
  local base = 1 + (i - 3) * 4
  local id, primary, pending, due = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  local seen = redis.call('SET', KEYS[i], pending, 'NX', 'PX', ARGV[1], 'GET')
  if not seen then
    redis.call('ZADD', intents[primary], due, id)
    out[#out + 1] = 'new'; out[#out + 1] = ''
  else
    local fpEnd = string.find(seen, '|', 3, true)
    local triesEnd = string.find(seen, '|', fpEnd + 1, true)
    local fp = string.sub(pending, 3, string.find(pending, '|', 3, true) - 1)
    if string.sub(seen, 3, fpEnd - 1) ~= fp then
      out[#out + 1] = 'mismatch'; out[#out + 1] = ''
    elseif string.sub(seen, 1, 1) == 'p' then
      out[#out + 1] = 'in_flight'; out[#out + 1] = ''
    else
      out[#out + 1] = 'duplicate'; out[#out + 1] = string.sub(seen, triesEnd + 1)
    end
  end
end
return out
