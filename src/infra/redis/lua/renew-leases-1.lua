--[[
  Move this instance's leases on writes it still holds to a new score: later (a write waiting here
  a long time, a slow side) or now (handed back at shutdown, for any instance to take at once).
  Fenced: a write another instance leased since is left to it. One no longer in the set (a holder
  that took it over settled it, or Redis lost it) stays with the caller, who still holds the write.
  KEYS[1] owed sorted set of one side
  ARGV[1] the new score (ms)
  ARGV[2..] pairs: member (record JSON), the caller's lease on it
  Output: the members another instance holds now.
]]
local lost = {}
for i = 2, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if not score then
    -- Not there: the caller keeps it and writes it from the record in hand.
  elseif tonumber(score) == tonumber(ARGV[i + 1]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
