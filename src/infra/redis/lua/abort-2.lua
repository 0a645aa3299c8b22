--[[
  Undo a begin whose primary refused the message: nothing stays owed, the id may be sent again.
  Fenced: only while the intent still has the score its begin gave it; once recovery on some
  instance leased it (a new score), the message is recovery's and stands.
  KEYS[1] dedupe record ('st|fp|tries|payload', see begin-4.lua)
  KEYS[2] where the intent waits: the intents sorted set of the primary side (member = id), or,
          for a message with a secondary, the secondary's owed set (member = record JSON, scores
          negated: see begin-4.lua)
  ARGV[1] the intent's member
  ARGV[2] the intent's score as begun (its recovery due time, ms, negated in an owed set)
  Output: 1 if nothing is owed any more (aborted, or Redis lost the begin: then nothing was ever
          owed), 0 if the message was committed or taken by recovery (then it stands).
]]
local seen = redis.call('GET', KEYS[1])
if not seen then return 1 end
if string.sub(seen, 1, 1) ~= 'p' then return 0 end
if tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1])) ~= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
