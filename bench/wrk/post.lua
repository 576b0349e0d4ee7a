-- One fixed form POST with a session cookie: BODY and COOKIE from the environment.
dofile("bench/wrk/report.lua")
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("COOKIE")
