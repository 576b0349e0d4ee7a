-- GET / as a fresh visitor: no cookie.
dofile("bench/wrk/report.lua")
