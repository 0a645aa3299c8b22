--[[
  Write-ahead append of one message: the commit point of a send.
  KEYS[1] message hash {st = p(ending)|c(ommitted), fp = fingerprint, rec = record JSON, rc = receipt JSON}
  KEYS[2] intents sorted set of the primary side (member = message id, score = when recovery may take it, ms)
  ARGV[1] message id
  ARGV[2] fingerprint of the content
  ARGV[3] record JSON
  ARGV[4] due time for recovery (ms)
  ARGV[5] dedupe window (ms)
  Output: {'new'} | {'duplicate', receipt JSON} | {'in_flight'} | {'mismatch'}
]]
local seen = redis.call('HMGET', KEYS[1], 'st', 'fp', 'rc')
if seen[1] then
  if seen[2] ~= ARGV[2] then return {'mismatch'} end
  if seen[1] == 'p' then return {'in_flight'} end
  return {'duplicate', seen[3]}
end
redis.call('HSET', KEYS[1], 'st', 'p', 'fp', ARGV[2], 'rec', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return {'new'}
