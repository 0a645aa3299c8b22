--[[
  Give up on recovering an unconfirmed primary: dead-letter it on its side and forget the id.
  Fenced: refused while the intent has a score other than the caller's lease. If Redis lost the
  record (a crash, a flush), the dead letter is made from the record the caller holds.
  KEYS[1] dedupe record ('st|fp|tries|payload', see begin-4.lua)
  KEYS[2] where the intent waits: the intents sorted set of the primary side (member = id), or,
          for a message with a secondary, the secondary's owed set (member = record JSON, scores
          negated: see begin-4.lua)
  KEYS[3] dead-letter stream of the primary side
  ARGV[1] the intent's member
  ARGV[2] dead-letter max length
  ARGV[3] attempts made
  ARGV[4] reason
  ARGV[5] now (ms)
  ARGV[6] the caller's lease: the intent's score when it leased it (ms)
  ARGV[7] the caller's record JSON and ARGV[8] its content fingerprint, used if Redis lost the record
  Output: 1 if dead-lettered, 0 if it was settled meanwhile or another instance holds it.
  The dead letter has kind 'recovery' and keeps the content fingerprint, so redrive-4.lua can
  begin it again whole: primary first, then the secondary.
]]
local seen = redis.call('GET', KEYS[1])
local record, fp
if not seen then
  record, fp = ARGV[7], ARGV[8]
else
  if string.sub(seen, 1, 1) ~= 'p' then
    redis.call('ZREM', KEYS[2], ARGV[1])
    return 0
  end
  local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if score and tonumber(score) ~= tonumber(ARGV[6]) then return 0 end
  local fpEnd = string.find(seen, '|', 3, true)
  local triesEnd = string.find(seen, '|', fpEnd + 1, true)
  record, fp = string.sub(seen, triesEnd + 1), string.sub(seen, 3, fpEnd - 1)
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'r', record, 'a', ARGV[3], 'why', ARGV[4], 'at', ARGV[5], 'k', 'recovery', 'fp', fp)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
