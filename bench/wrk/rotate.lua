-- wrk script of scripts/bench: sends, in turn, the requests listed in the file named by
-- BENCH_REQUESTS, one per line, each thread starting at its own place in the list.
--
-- Without BENCH_SPARQL_PATH, a line is a path and query string, sent as GET.
-- With BENCH_SPARQL_PATH, a line is a SPARQL query, POSTed there as application/sparql-query
-- (results asked as application/sparql-results+json).
-- BENCH_TOKEN, when set, is sent as a bearer token.

local requests = {}
local next_index = 1
local threads = 0

function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

function init(args)
  local file = os.getenv("BENCH_REQUESTS")
  local token = os.getenv("BENCH_TOKEN")
  local sparql = os.getenv("BENCH_SPARQL_PATH")
  local headers = {}
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  if sparql and sparql ~= "" then
    headers["Content-Type"] = "application/sparql-query"
    headers["Accept"] = "application/sparql-results+json"
  end
  for line in io.lines(file) do
    if line ~= "" then
      if sparql and sparql ~= "" then
        requests[#requests + 1] = wrk.format("POST", sparql, headers, line)
      else
        requests[#requests + 1] = wrk.format("GET", line, headers)
      end
    end
  end
  if #requests == 0 then
    error("no requests in " .. tostring(file))
  end
  -- Threads start far apart in the list so that they do not send the same request together.
  next_index = ((thread_number or 0) * math.floor(#requests / 2 + 1)) % #requests + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end
