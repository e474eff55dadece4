-- wrk: metadata PATCHes through the Management API, spread over the 1,000
-- users login.lua logged in. API_KEY comes from the environment.
local auth = "Bearer " .. os.getenv("API_KEY")
local n = 0

request = function()
  n = n + 1
  local path = "/api/v2/users/auth0%7Cecho%7Cuser" .. (n % 1000) .. "%40example.com"
  local body = '{"user_metadata":{"n":' .. n .. '}}'
  return wrk.format("PATCH", path, { ["Content-Type"] = "application/json", ["Authorization"] = auth }, body)
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("PATCH answered " .. status .. ": " .. body .. "\n")
  end
end
