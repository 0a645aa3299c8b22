--[[
  Shared by the batch scripts (prepended when loaded, see scripts.ts). A batch comes as one
  argument of '\n'-ended fields: one argument, not several per message, because each argument
  costs the client and Redis more than splitting one string here. Message ids are
  [A-Za-z0-9_.:-] and JSON never holds a raw newline, so '\n' cannot occur inside a field.
  fieldsOf(packed) returns a reader: each call answers the next field, nil after the last.
]]
local function fieldsOf(packed)
  local pos = 1
  return function()
    if pos > #packed then return nil end
    local stop = string.find(packed, '\n', pos, true)
    local value = string.sub(packed, pos, stop - 1)
    pos = stop + 1
    return value
  end
end
