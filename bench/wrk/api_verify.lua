-- POST /v2/verifications/{id}/actions/verify with a wrong code, as a JSON
-- client holding an API key: API_KEY from the environment; the path names the id.
dofile("bench/wrk/report.lua")
wrk.method = "POST"
wrk.body = '{"code":"000000"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("API_KEY")
