-- POST …/by_phone_number/{phone}/actions/verify with a wrong code, as a JSON client.
dofile("bench/wrk/report.lua")
wrk.method = "POST"
wrk.body = '{"code":"000000","verify_profile_id":"default"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("API_KEY")
