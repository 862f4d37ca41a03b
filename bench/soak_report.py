"""The verdict and report of `make soak` (bench/soak.sh runs it after the load; it reads the run from the environment).

SOAK_RUN_DIR holds the run: load.<kind> (each wrk process's output, whose JSON line bench/soak.lua prints), rss (the
API's RSS, "epoch MB" a line) and api.log (the API's own log). Writes SOAK_REPORT (bench/SOAK.md), prints it, and exits
1 when any check failed; the verdict then names each failure with its evidence (the API's error lines themselves).
"""
import json
import os
import sys

from soak_log import api_log_errors, quoted


run_dir = os.environ["SOAK_RUN_DIR"]
api_log = os.path.join(run_dir, "api.log")
api_errors = api_log_errors(api_log)
expected = {
    "list": {"200", "429 rate_limited"},
    "export": {"200", "429 rate_limited"},
    "stages": {"200", "429 rate_limited"},
    "badkeys": {"401 invalid_api_key", "429 auth_rate_limited"},
    "overlimit": {"200", "429 rate_limited"},
}
runs = []
for kind in ["list", "export", "stages", "badkeys", "overlimit"]:
    text = open(f"{run_dir}/load.{kind}").read()
    line = next((l for l in text.splitlines() if l.startswith('{"kind"')), None)
    if line is None:
        sys.exit(f"soak: wrk printed no summary for {kind}:\n{text}")
    runs.append(json.loads(line))

problems = []
rows = []
server_errors = 0
socket_error_total = 0
total_requests = 0
all_statuses = {}
for run in runs:
    kind, statuses = run["kind"], run["statuses"]
    seconds = run["duration_us"] / 1e6
    total_requests += run["requests"]
    for label, n in statuses.items():
        all_statuses[label] = all_statuses.get(label, 0) + n
        if label.startswith("5"):
            server_errors += n
            problems.append(f"{kind}: {n} x {label}")
        elif label not in expected[kind]:
            problems.append(f"{kind}: {n} x {label}, which this traffic must never get")
    socket_errors = {k: v for k, v in run["errors"].items() if k != "status" and v}
    socket_error_total += sum(socket_errors.values())
    if socket_errors:
        problems.append(f"{kind}: socket errors {socket_errors}")
    lat = run["latency_us"]
    shown = ", ".join(f"{label}: {n:,}" for label, n in sorted(statuses.items()))
    rows.append(f"| {kind} | {run['requests']:,} | {run['requests'] / seconds:,.0f} | {shown} | "
                f"{lat['p50'] / 1000:.1f} | {lat['p99'] / 1000:.1f} | {lat['max'] / 1000:.1f} | {run['bytes'] / 1e6:,.0f} |")

# The key over its limit: its bucket lets through at most the limit per clock-aligned minute. The warm-up ran in
# the minute before the load began, so the windows are those from that one to the last one of the load.
over = next(r for r in runs if r["kind"] == "overlimit")
limit = int(os.environ["SOAK_EXPORT_LIMIT"])
first_window = (int(os.environ["SOAK_STARTED_EPOCH"]) - 15) // 60
windows = int(os.environ["SOAK_ENDED_EPOCH"]) // 60 - first_window + 1
allowed = over["statuses"].get("200", 0)
if allowed > limit * windows:
    problems.append(f"overlimit: {allowed} exports allowed, more than {limit} a minute over {windows} windows")
if over["statuses"].get("429 rate_limited", 0) == 0:
    problems.append("overlimit: never limited, so the key's bucket was not tested")

samples = [float(l.split()[1]) for l in open(f"{run_dir}/rss") if len(l.split()) == 2]
rss_start, rss_end, rss_idle = (float(os.environ[k]) for k in ("SOAK_RSS_START", "SOAK_RSS_END", "SOAK_RSS_IDLE"))
peak = max(samples + [rss_end])
half = len(samples) // 2
first_half_peak = max(samples[:half] or [rss_start])
second_half_peak = max(samples[half:] or [rss_end])
# Flat: the second half of the run climbs no higher than the first half did (plus 10%), and the end is within
# 25% of the start. A leak climbs through the whole run; a working set reached in the first seconds does not.
if second_half_peak > first_half_peak * 1.10 + 5:
    problems.append(f"memory climbs: peak {first_half_peak:.0f} MB in the first half, {second_half_peak:.0f} MB in the second")
if rss_end > rss_start * 1.25 + 10:
    problems.append(f"memory grew from {rss_start:.0f} MB to {rss_end:.0f} MB")
if os.environ["SOAK_BUSY"] != "0":
    problems.append(f"{os.environ['SOAK_BUSY']} database connections of the API still busy 5 s after the load")
if api_errors:
    problems.append(f"the API logged {len(api_errors)} errors (Error/Critical), in {api_log}:" + quoted(api_errors, api_log))

status_total = ", ".join(f"{label}: {n:,}" for label, n in sorted(all_statuses.items()))
verdict = "PASS" if not problems else "FAIL"
env = os.environ
report = f"""# Soak: {verdict}

`make soak` ({env['SOAK_SECONDS']} s of mixed load; `SOAK_SECONDS=600 make soak` for longer). Run {env['SOAK_STARTED']},
commit `{env['SOAK_COMMIT']}`, .NET SDK {env['SOAK_DOTNET']}, PostgreSQL {env['SOAK_PG']}, wrk {env['SOAK_WRK']},
{os.cpu_count()} cores (load average {env['SOAK_LOAD_START']} at the start, {env['SOAK_LOAD_END']} at the end:
the machine is shared, so latencies are those of this moment, not a benchmark). The API is the Release build in Production mode; the database a throwaway cluster on the
same machine (fsync off), one workspace of {int(env['SOAK_LEADS']):,} seeded leads.

## Load

Five `wrk` processes at once (bench/soak.lua), after a 10 s warm-up of the same mix:

- **list**: 6 connections, `GET /api/v1/leads` with limits of 10 to 200 and random `source`, `medium`, `from`, `search` filters;
- **export**: 3 connections, `GET /api/v1/leads/export` of 100 (60%), 1,000 (30%) or 10,000 rows (10%), 30% filtered, gzip;
- **stages**: 2 connections, `GET /api/v1/status-stages`;
- **badkeys**: 1 connection, any endpoint with a made-up, malformed or revoked key;
- **overlimit**: 1 connection, 10-row exports with a key of its own, as fast as they come back: more than its bucket allows.

The good traffic is spread over {env['SOAK_KEY_COUNT']} keys, with per-key limits of {int(env['SOAK_LIST_LIMIT']):,} list and
{int(env['SOAK_EXPORT_LIMIT']):,} export requests a minute (production: 600 and 60), so that most requests do real work and
the rest meet the limit the contract sets. Bad keys all come from 127.0.0.1 with no trusted proxy: one invalid-auth
bucket of 30 failures a minute, so most of them get 429 `auth_rate_limited`, as the contract says.

## Results

{total_requests:,} requests in {env['SOAK_SECONDS']} s. Statuses: {status_total}.

| traffic | requests | req/s | statuses | p50 ms | p99 ms | max ms | MB received |
|---|---:|---:|---|---:|---:|---:|---:|
{chr(10).join(rows)}

Allowed: 200 and 429 `rate_limited` for good keys; 401 `invalid_api_key` and 429 `auth_rate_limited` for bad keys.
The key over its limit got {allowed:,} exports through in {windows} clock minutes (at most {limit:,} a minute) and
{over['statuses'].get('429 rate_limited', 0):,} answers 429 `rate_limited`.
5xx answers: {server_errors}. Socket errors and timeouts: {socket_error_total}.

## Memory and connections

| API RSS | MB |
|---|---:|
| start of the load (after the warm-up) | {rss_start:.0f} |
| peak during the load | {peak:.0f} |
| peak in the first half / second half | {first_half_peak:.0f} / {second_half_peak:.0f} |
| end of the load | {rss_end:.0f} |
| 5 s after the load | {rss_idle:.0f} |

Database connections of the API 5 s after the load: {env['SOAK_OPEN']} open, {env['SOAK_BUSY']} busy.
Errors in the API's log (Error/Critical): {len(api_errors)}. The run's logs (the API's, wrk's, the RSS samples) are kept
in `{run_dir}/` (not committed).

## Verdict

{"All checks passed." if not problems else chr(10).join("- " + p for p in problems)}
"""
open(env["SOAK_REPORT"], "w").write(report)
print(report)
sys.exit(0 if not problems else 1)
