--[[
  Renew this instance's leases on stream entries it has held a long time (a slow side, a long
  local queue), so no other instance takes them over while they are still being written. Fenced:
  an entry another instance holds by now is left to it. One no consumer holds (Redis lost it) is
  kept by the caller, who still holds the write, and settles it when it is written.
  KEYS[1] outbox stream
  ARGV[1] consumer group
  ARGV[2] the calling instance's consumer name
  ARGV[3..] entry ids
  Output: the entry ids another instance holds now.
]]
local lost = {}
for i = 3, #ARGV do
  local held = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if not held[1] then
    -- Nobody holds it: keep it (the caller writes it from the record in hand).
  elseif held[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
