-- POST /request for a new number each time (valid US numbers +1 201 2xx xxxx),
-- with one session's cookie and token: CSRF and COOKIE from the environment.
dofile("bench/wrk/report.lua")
local counter = 0
local csrf = os.getenv("CSRF")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("COOKIE")

function setup(thread)
  counter = counter + 1
  thread:set("first", counter * 1000000)
end

function init(args)
  n = first
end

function request()
  n = n + 1
  local body = "csrf=" .. csrf .. "&phone=%2B1201" .. string.format("%07d", 2000000 + n % 7000000)
  return wrk.format(nil, nil, nil, body)
end
