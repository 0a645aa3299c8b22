--[[
  Write-ahead append of a batch of messages (one shard): the commit point of each send.
  KEYS[1] intents sorted set of side old (member = message id, score = when recovery may take it, ms)
  KEYS[2] intents sorted set of side new
  KEYS[3] owed sorted set of side old (member = record JSON; see keys.ts, RedisKeys.owed)
  KEYS[4] owed sorted set of side new
  ARGV[1] key prefix of the shard's dedupe records: record of message id = prefix .. id. Every
          record shares the shard's hash tag with KEYS, so the script stays in one Cluster slot.
  ARGV[2] the batch, packed (lib/packed-fields.lua): per message six fields: id, primary side,
          secondary side ('old' | 'new' | '-'), content fingerprint ('-' for an id the gateway
          made), record JSON, due time for recovery (ms)
  A dedupe record is a string 'st|fp|tries|payload': st p(ending) with the record JSON as payload,
  or c(ommitted) with the receipt's fields 'primary|secondary|version|acceptedAt' (see
  commit-4.lua). A pending record has no TTL: it is owed until settled, however long a side is
  down; the window starts when it is committed.
  The intent of a message with a secondary is its member in the secondary's owed set, scored
  minus its due time: the commit then only rescores that member, and the secondary is queued.
  Output: per message 'n' (new), 'i' (in flight), 'm' (mismatch: the id was used for other
          content; never for an id the gateway made, which only its caller knows) or 'd' .. the
          receipt's fields (duplicate). Messages are taken in order, so the same id
          twice in one batch is 'n' then 'i'.
  Two calls per new message: SET NX GET writes the record only if the id is unknown, and returns
  what was there if not.
]]
local intents = { old = KEYS[1], new = KEYS[2] }
local owed = { old = KEYS[3], new = KEYS[4] }
local prefix = ARGV[1]
local field = fieldsOf(ARGV[2])
local out = {}
for id in field do
  local primary, secondary, fp, json, due = field(), field(), field(), field(), field()
  local seen = redis.call('SET', prefix .. id, 'p|' .. fp .. '|0|' .. json, 'NX', 'GET')
  if not seen then
    if owed[secondary] then
      redis.call('ZADD', owed[secondary], '-' .. due, json)
    else
      redis.call('ZADD', intents[primary], due, id)
    end
    out[#out + 1] = 'n'
  else
    local fpEnd = string.find(seen, '|', 3, true)
    local triesEnd = string.find(seen, '|', fpEnd + 1, true)
    local seenFp = string.sub(seen, 3, fpEnd - 1)
    -- '-': the gateway made the id and gave it to its one caller, whose retry it is.
    if seenFp ~= '-' and seenFp ~= fp then
      out[#out + 1] = 'm'
    elseif string.sub(seen, 1, 1) == 'p' then
      out[#out + 1] = 'i'
    else
      out[#out + 1] = 'd' .. string.sub(seen, triesEnd + 1)
    end
  end
end
return out
