-- Replay pre-built requests, each once: wrk -t N -c C -s bench/replay.lua URL -- DIRECTORY EXPECTED TOTAL FIRST
-- TOTAL is the number of threads over every wrk sharing DIRECTORY (N when there is one wrk), FIRST the number
-- of this wrk's first thread among them (1 for the first wrk; two wrk of one thread each pass 1 and 2).
-- Thread n reads DIRECTORY/requests-<n>.txt (a header line, "Name<TAB>value<TAB>...", then a body line,
-- per request), formats every request in init() and hands them out in order in request().
-- Running out wraps around, but every request handed out again is counted as wrapped (the run is then
-- invalid), and so is every non-200 answer and every 200 whose body lacks the text EXPECTED (a "processing"
-- or "busy" toast instead of the click's result). Only 200s holding EXPECTED are `counted` (the work done;
-- wrk's own `requests` counts every answer). done() prints one machine-readable BENCH line.
--
-- wrk starts each thread as soon as its own init() returns, while the next thread is still formatting its
-- requests; so no thread sends anything until every thread of every wrk has finished init() (each leaves a
-- file DIRECTORY/ready-<n>), and the early threads get no head start the measured duration would not show.

local ffi = require("ffi")
ffi.cdef("int usleep(unsigned int usec);")

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

function init(args)
   requests, handed, wrapped, non200, unexpected, counted, statuses, first_bad = {}, 0, 0, 0, 0, 0, {}, ""
   expected = args[2]
   number = id + tonumber(args[4]) - 1
   local path = args[1] .. "/requests-" .. number .. ".txt"
   local file = assert(io.open(path, "rb"))
   while true do
      local header_line = file:read("*l")
      if not header_line then break end
      local body = assert(file:read("*l"), "a header line without its body in " .. path)
      local headers, name = {}, nil
      for field in string.gmatch(header_line, "[^\t]+") do
         if name then headers[name], name = field, nil else name = field end
      end
      requests[#requests + 1] = wrk.format("POST", nil, headers, body)
   end
   file:close()
   built = #requests
   assert(built > 0, "no requests in " .. path)
   directory, thread_count, released = args[1], tonumber(args[3]), false
   assert(io.open(directory .. "/ready-" .. number, "w")):close()
end

local function wait_for_every_thread()
   for _ = 1, 60000 do
      local missing = false
      for n = 1, thread_count do
         local marker = io.open(directory .. "/ready-" .. n, "r")
         if marker then marker:close() else missing = true end
      end
      if not missing then return end
      ffi.C.usleep(2000)
   end
   error("the other wrk threads never finished init()")
end

function request()
   -- wrk calls thread 1's request() once right after its init() to check the request (the call hands out
   -- nothing that is sent); that call must not wait for threads that have not been created yet
   if not released and not (id == 1 and handed == 0) then
      wait_for_every_thread()
      released = true
   end
   handed = handed + 1
   if handed > built then wrapped = wrapped + 1 end
   return requests[(handed - 1) % built + 1]
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
      statuses[status] = (statuses[status] or 0) + 1
   elseif not string.find(body or "", expected, 1, true) then
      unexpected = unexpected + 1
   else
      counted = counted + 1
      return
   end
   if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
end

function done(summary, latency, requests)
   local built, wrapped, non200, unexpected, counted, statuses, first_bad = 0, 0, 0, 0, 0, {}, ""
   for _, thread in ipairs(threads) do
      built = built + thread:get("built")
      wrapped = wrapped + thread:get("wrapped")
      non200 = non200 + thread:get("non200")
      unexpected = unexpected + thread:get("unexpected")
      counted = counted + thread:get("counted")
      for status, count in pairs(thread:get("statuses")) do
         statuses[status] = (statuses[status] or 0) + count
      end
      if first_bad == "" then first_bad = thread:get("first_bad") end
   end
   local codes = {}
   for status, count in pairs(statuses) do codes[#codes + 1] = status .. ":" .. count end
   local errors = summary.errors
   io.write(string.format(
      "BENCH requests=%d counted=%d duration_us=%d built=%d wrapped=%d non200=%d unexpected=%d statuses=%s " ..
      "p50_us=%d " ..
      "p99_us=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
      summary.requests, counted, summary.duration, built, wrapped, non200, unexpected, table.concat(codes, ","),
      latency:percentile(50), latency:percentile(99),
      errors.connect, errors.read, errors.write, errors.timeout))
   if first_bad ~= "" then
      io.write("BENCH_FIRST_BAD " .. string.gsub(first_bad, "\n", " ") .. "\n")
   end
end
