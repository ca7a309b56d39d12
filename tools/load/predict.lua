-- wrk script: POST /api/v1/predict with a multipart image upload.
-- Environment: ECG_IMAGE (the image file), ECG_MODEL (a model key).
local boundary = "ecglens-load-boundary"
local file = assert(io.open(os.getenv("ECG_IMAGE"), "rb"))
local image = file:read("*all")
file:close()

wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n"
  .. 'Content-Disposition: form-data; name="model"\r\n\r\n' .. os.getenv("ECG_MODEL") .. "\r\n"
  .. "--" .. boundary .. "\r\n"
  .. 'Content-Disposition: form-data; name="image"; filename="ecg.png"\r\nContent-Type: image/png\r\n\r\n'
  .. image .. "\r\n--" .. boundary .. "--\r\n"

-- One parsable line at the end: requests/s, latency percentiles (ms), errors.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, summary.errors.status))
end
