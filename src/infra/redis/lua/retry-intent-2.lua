--[[
  Schedule another recovery try of an unconfirmed primary: count the try in its dedupe record.
  Fenced: only while the intent has the score the caller's recovery lease gave it.
  KEYS[1] dedupe record ('st|fp|tries|payload', see begin-2.lua)
  KEYS[2] intents sorted set of the primary side
  ARGV[1] message id
  ARGV[2] due time of the next try (ms)
  ARGV[3] the caller's lease: the intent's score when it leased it (ms)
  Output: 1 if scheduled, 0 if it was settled meanwhile or is no longer the caller's.
]]
local seen = redis.call('GET', KEYS[1])
if not seen or string.sub(seen, 1, 1) ~= 'p' then return 0 end
if tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1])) ~= tonumber(ARGV[3]) then return 0 end
local fpEnd = string.find(seen, '|', 3, true)
local triesEnd = string.find(seen, '|', fpEnd + 1, true)
local tries = tonumber(string.sub(seen, fpEnd + 1, triesEnd - 1)) + 1
redis.call('SET', KEYS[1], string.sub(seen, 1, fpEnd) .. tries .. string.sub(seen, triesEnd))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
