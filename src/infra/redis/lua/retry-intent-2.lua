--[[
  Schedule another recovery try of an unconfirmed primary: count the try in its dedupe record.
  KEYS[1] dedupe record ('st|fp|tries|payload', see begin-2.lua)
  KEYS[2] intents sorted set of the primary side
  ARGV[1] message id
  ARGV[2] due time of the next try (ms)
  Output: 1
]]
local seen = redis.call('GET', KEYS[1])
if seen and string.sub(seen, 1, 1) == 'p' then
  local fpEnd = string.find(seen, '|', 3, true)
  local triesEnd = string.find(seen, '|', fpEnd + 1, true)
  local tries = tonumber(string.sub(seen, fpEnd + 1, triesEnd - 1)) + 1
  redis.call('SET', KEYS[1], string.sub(seen, 1, fpEnd) .. tries .. string.sub(seen, triesEnd), 'KEEPTTL')
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
