--[[
  Send dead letters back to their outbox stream for another round of tries.
  KEYS[1] dead-letter stream
  KEYS[2] outbox stream of the same side
  ARGV[1] max count
  Output: how many were moved (oldest first).
]]
local rows = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[1])
for _, row in ipairs(rows) do
  local fields = row[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'r' then
      redis.call('XADD', KEYS[2], '*', 'r', fields[i + 1], 'a', 0)
    end
  end
  redis.call('XDEL', KEYS[1], row[1])
end
return #rows
