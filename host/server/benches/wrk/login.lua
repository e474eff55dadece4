-- wrk: logins through POST /oauth/token, spread over 1,000 users of the
-- `echo-user` script. CLIENT_ID and CLIENT_SECRET come from the environment.
local client = "&client_id=" .. os.getenv("CLIENT_ID") .. "&client_secret=" .. os.getenv("CLIENT_SECRET")
local n = 0

request = function()
  n = n + 1
  local body = "grant_type=password&password=x&username=user" .. (n % 1000) .. "%40example.com" .. client
  return wrk.format("POST", "/oauth/token", { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("login answered " .. status .. ": " .. body .. "\n")
  end
end
