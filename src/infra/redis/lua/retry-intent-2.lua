--[[
  Schedule another recovery try of an unconfirmed primary: count the try in its dedupe record.
  Fenced: refused while the intent has a score other than the caller's lease (another instance
  leased it since). If Redis lost the record (a crash, a flush), it is begun again from the record
  the caller holds: the message is still owed, and nothing else would recover it.
  KEYS[1] dedupe record ('st|fp|tries|payload', see begin-4.lua)
  KEYS[2] where the intent waits: the intents sorted set of the primary side (member = id), or,
          for a message with a secondary, the secondary's owed set (member = record JSON, scores
          negated: see begin-4.lua)
  ARGV[1] the intent's member
  ARGV[2] the score of the next try (its due time, ms, negated in an owed set)
  ARGV[3] the caller's lease: the intent's score when it leased it
  ARGV[4] the pending record to write if Redis lost it ('p|fp|tries|record JSON', tries counted)
  Output: 1 if scheduled, 0 if it was settled meanwhile or another instance holds it.
]]
local seen = redis.call('GET', KEYS[1])
if not seen then
  redis.call('SET', KEYS[1], ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  return 1
end
if string.sub(seen, 1, 1) ~= 'p' then return 0 end
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if score and tonumber(score) ~= tonumber(ARGV[3]) then return 0 end
local fpEnd = string.find(seen, '|', 3, true)
local triesEnd = string.find(seen, '|', fpEnd + 1, true)
local tries = tonumber(string.sub(seen, fpEnd + 1, triesEnd - 1)) + 1
redis.call('SET', KEYS[1], string.sub(seen, 1, fpEnd) .. tries .. string.sub(seen, triesEnd))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
