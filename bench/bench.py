#!/usr/bin/env python3
"""The measurements of `make bench` (bench/run.sh sets the scene and the environment; see bench/README.md).

Every figure is measured over repeated runs and reported as median, min and max. Where the API is set
against PostgreSQL itself (COPY, pgbench), the two are interleaved (A B A B) and each pair gives one ratio.
What is printed here is what RESULTS.md says: the report is rendered from the same values, printed whole at
the end, and written to BENCH_RESULTS.
"""

import csv
import datetime
import http.client
import io
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ENV = os.environ
BASE_URL = ENV["BENCH_BASE_URL"]
KEY = ENV["BENCH_KEY"]
API_PID = int(ENV["BENCH_API_PID"])
FLOOR_URL = ENV["BENCH_FLOOR_URL"]        # bench/floor: the list's first page with the least .NET can do
FLOOR_PID = int(ENV["BENCH_FLOOR_PID"])
SLUG = ENV["BENCH_SLUG"]
LEADS = int(ENV["BENCH_LEADS"])
RUNS = int(ENV.get("BENCH_RUNS", "7"))
SYNC_RUNS = int(ENV.get("BENCH_SYNC_RUNS", "3"))
CONCURRENCY = int(ENV.get("BENCH_CONCURRENCY", "16"))
DURATION = int(ENV.get("BENCH_DURATION", "10"))
LIST_WARM_UP = int(ENV.get("BENCH_LIST_WARM_UP", "30"))
RESULTS = ENV.get("BENCH_RESULTS", "bench/RESULTS.md")
OUT = ENV.get("BENCH_OUT", "bench/out")
PSQL = ENV["BENCH_PSQL"]
PGBENCH = ENV["BENCH_PGBENCH"]
PG = {
    "host": ENV["BENCH_PG_HOST"],
    "port": ENV["BENCH_PG_PORT_USED"],
    "user": ENV["BENCH_PG_USER"],
    "db": ENV["BENCH_PG_DB"],
}
PG_ENV = dict(ENV, PGPASSWORD=ENV["BENCH_PG_PASSWORD"], PGCONNECT_TIMEOUT="10")

SEGMENT = 10_000          # rows per export segment (the export's maximum)
CLIENTS = 8               # concurrent exporters of the memory run
SEARCH_TERMS = [          # (what, term): typical partner searches
    ("surname fragment", ENV.get("BENCH_SEARCH_SURNAME", "ilson")),
    ("email fragment", ENV.get("BENCH_SEARCH_EMAIL", "jsmith@")),
    ("phone fragment", ENV.get("BENCH_SEARCH_PHONE", "3125")),
]

# The export's columns with the export's formats: RFC 3339 UTC timestamps with milliseconds, the stage's name.
COPY_COLUMNS = (
    "l.id, l.first_name, l.last_name, l.email, l.phone, l.street, l.city, l.region, l.postal_code, "
    "l.source, l.medium, l.campaign, l.status_stage_id, s.name AS status_stage_name, l.notes, "
    "to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at, "
    "to_char(l.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS updated_at"
)
# The list endpoint's query (LeadRepository.ListAsync): first page, limit 50 (+1 to know has_more).
LIST_COLUMNS = (
    "l.id, l.first_name, l.last_name, l.email, l.phone, l.street, l.city, l.region, l.postal_code, "
    "l.source, l.medium, l.campaign, l.status_stage_id, s.name AS status_stage_name, l.notes, "
    "l.created_at, l.updated_at"
)


def say(message):
    print(f"bench: {message}", flush=True)


def fail(message):
    say(f"FAILED: {message}")
    sys.exit(1)


# --- statistics and formatting --------------------------------------------------------------------------------

class Figure:
    """One measured quantity over repeated runs."""

    def __init__(self, name, unit, values, digits=None):
        if not values:
            fail(f"no values for {name}")
        self.name, self.unit, self.values = name, unit, list(values)
        self.digits = digits

    @property
    def median(self):
        return statistics.median(self.values)

    @property
    def min(self):
        return min(self.values)

    @property
    def max(self):
        return max(self.values)

    def fmt(self, value):
        if self.unit == "s":   # one scale per figure, chosen by its median
            return f"{value:.2f} s" if self.median >= 1 else f"{value * 1000:.1f} ms"
        return fmt(value, self.unit, self.digits)

    def line(self):
        return (f"{self.name}: median {self.fmt(self.median)}, min {self.fmt(self.min)}, "
                f"max {self.fmt(self.max)} (n={len(self.values)})")

    def row(self):
        return f"| {self.name} | {self.fmt(self.median)} | {self.fmt(self.min)} | {self.fmt(self.max)} | {len(self.values)} |"

    def to_json(self):
        return {"name": self.name, "unit": self.unit, "median": self.median, "min": self.min, "max": self.max,
                "values": self.values}


def fmt(value, unit, digits=None):
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.{1 if digits is None else digits}f} ms"
    if unit == "x":
        return f"{value:.{2 if digits is None else digits}f}x"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "rows/s":
        return f"{value:,.0f} rows/s"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "rows":
        return f"{value:,.0f}"
    return f"{value:.{2 if digits is None else digits}f} {unit}".strip()


class Section:
    def __init__(self, number, title):
        self.number, self.title = number, title
        self.figures = []
        self.notes = []
        self.goals = []   # (text, met, measured)

    def add(self, figure):
        self.figures.append(figure)
        say("  " + figure.line())
        return figure

    def note(self, text):
        self.notes.append(text)
        say("  " + text)

    def goal(self, text, met, measured):
        self.goals.append((text, met, measured))
        say(f"  goal {text}: {'met' if met else 'MISSED'} ({measured})")

    def markdown(self):
        lines = [f"## {self.number}. {self.title}", ""]
        lines += ["| figure | median | min | max | runs |", "|---|---:|---:|---:|---:|"]
        lines += [f.row() for f in self.figures]
        lines.append("")
        for text, met, measured in self.goals:
            lines.append(f"**Goal {text}: {'met' if met else 'missed'}** ({measured}).")
            lines.append("")
        for note in self.notes:
            lines.append(f"- {note}")
        if self.notes:
            lines.append("")
        return "\n".join(lines)

    def to_json(self):
        return {"number": self.number, "title": self.title, "figures": [f.to_json() for f in self.figures],
                "goals": [{"goal": g, "met": m, "measured": s} for g, m, s in self.goals], "notes": self.notes}


def plan_summary(query):
    """The plan PostgreSQL picks for a query, as a chain of nodes with their indexes (EXPLAIN, not run)."""
    plan = json.loads("".join(r[0] for r in sql("EXPLAIN (FORMAT JSON) " + query)))[0]["Plan"]
    nodes = []

    def walk(node):
        text = node["Node Type"]
        if "Index Name" in node:
            text += f" ({node['Index Name']})"
        if "Filter" in node:
            text += " + filter"
        nodes.append(text)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    return " > ".join(nodes)


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --- processes ------------------------------------------------------------------------------------------------

def psql_command(*extra):
    return [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"],
            "-d", PG["db"], *extra]


def sql(query):
    done = subprocess.run(psql_command("-tA", "-F", "\t", "-c", query), env=PG_ENV, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"psql: {done.stderr.strip()}")
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def timed(command, stdout=subprocess.DEVNULL, env=None):
    """Wall time of a whole process, its start included; returns (seconds, stdout or None)."""
    start = time.perf_counter()
    done = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        fail(f"{os.path.basename(command[0])} exited {done.returncode}: {done.stderr.decode(errors='replace').strip()}")
    return elapsed, (done.stdout.decode() if stdout == subprocess.PIPE else None)


def curl_command(urls, write_out="%{http_code} %{num_connects} %{size_download} %{time_total}\\n"):
    command = ["curl", "-sS", "-H", f"Authorization: Bearer {KEY}", "-w", write_out]
    for url in urls:
        command += ["-o", "/dev/null", url]
    return command


def curl_transfers(output, expect):
    """Parses the -w lines of curl_command and checks every transfer (200) and the connection reuse."""
    transfers = []
    for line in output.splitlines():
        code, connects, size, total = line.split()
        transfers.append((int(code), int(connects), int(size), float(total)))
    if len(transfers) != expect:
        fail(f"curl made {len(transfers)} transfers, expected {expect}")
    bad = [t for t in transfers if t[0] != 200]
    if bad:
        fail(f"curl got HTTP {bad[0][0]} (rate limited? see bench/out/api.log)")
    if sum(t[1] for t in transfers) != 1:
        fail(f"curl opened {sum(t[1] for t in transfers)} connections for {expect} transfers, expected 1")
    return transfers


def psql_script(lines):
    handle = tempfile.NamedTemporaryFile("w", suffix=".sql", dir=OUT, delete=False)
    handle.write("\n".join(lines) + "\n")
    handle.close()
    return handle.name


def copy_line(workspace, where, target="STDOUT"):
    # \copy is one line: psql reads the query up to its end.
    return (f"\\copy (SELECT {COPY_COLUMNS} FROM leads l LEFT JOIN status_stages s ON s.id = l.status_stage_id "
            f"WHERE l.workspace_id = '{workspace}' AND {where} ORDER BY l.updated_at, l.id LIMIT {SEGMENT}) "
            f"TO {target} WITH (FORMAT csv, HEADER)")


def rss_mb(field="VmRSS"):
    with open(f"/proc/{API_PID}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    fail(f"no {field} for the API process {API_PID}")


def reset_peak_rss():
    """Resets VmHWM (Linux >= 4.0); False when the kernel does not allow it."""
    try:
        with open(f"/proc/{API_PID}/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_times(pid):
    """(ppid, own CPU seconds, reaped children's CPU seconds) of a process from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        data = stat.read()
    fields = data[data.rindex(")") + 2:].split()   # fields[0] is the state, field 3 of proc(5)
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return int(fields[1]), (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS


class CpuMeter:
    """CPU seconds spent by the API process, by the PostgreSQL cluster (postmaster, its live children and the
    children it has reaped) and by this script's finished child processes (curl, psql, wrk, pgbench), plus this
    script itself. CPU time is what the work costs whatever else runs on the machine; wall time is not."""

    def __init__(self):
        checkpointer = sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")[0][0]
        self.postmaster = proc_times(int(checkpointer))[0]

    def postgres(self):
        _, own, reaped = proc_times(self.postmaster)
        total = own + reaped
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                ppid, own, reaped = proc_times(int(name))
            except (OSError, ValueError, IndexError):
                continue   # gone meanwhile
            if ppid == self.postmaster:
                total += own + reaped
        return total

    def snapshot(self):
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        me = resource.getrusage(resource.RUSAGE_SELF)
        return {"api": proc_times(API_PID)[1], "floor": proc_times(FLOOR_PID)[1], "pg": self.postgres(),
                "clients": children.ru_utime + children.ru_stime, "self": me.ru_utime + me.ru_stime}

    @staticmethod
    def delta(before, after):
        return {k: after[k] - before[k] for k in before}


def with_cpu(meter, action):
    """Runs action(); returns its result and the CPU each party spent meanwhile."""
    before = meter.snapshot()
    result = action()
    time.sleep(0.05)   # lets the postmaster reap a backend that just ended (outside every timed section)
    return result, CpuMeter.delta(before, meter.snapshot())


def cpu_figures(section, label, deltas, parties, per=1, unit="s", per_name="per run"):
    """Adds one figure per party: CPU seconds (or ms per request when unit is 'ms') from a list of deltas."""
    names = {"api": "API process", "floor": "floor process", "pg": "PostgreSQL", "clients": "client processes",
             "self": "Python client"}
    for party, name in parties:
        scale = 1000 if unit == "ms" else 1
        section.add(Figure(f"CPU {per_name}, {label}: {name or names[party]}", unit,
                           [d[party] * scale / per for d in deltas], digits=2 if unit == "ms" else None))


class KeepAliveClient:
    """One HTTP/1.1 connection, kept alive, as a sync tool would hold it."""

    def __init__(self):
        parsed = urllib.parse.urlsplit(BASE_URL)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=300)
        self.headers = {"Authorization": f"Bearer {KEY}", "Accept-Encoding": "identity"}

    def get(self, path):
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            fail(f"GET {path[:80]}: HTTP {response.status} {body[:300]!r}")
        return response, body

    def close(self):
        self.connection.close()


def sync_all(client):
    """A full incremental sync through the export's cursors; returns (segments, rows, bytes)."""
    path = f"/api/v1/leads/export?limit={SEGMENT}"
    segments = rows = size = 0
    while True:
        response, body = client.get(path)
        segments += 1
        rows += int(response.getheader("X-Export-Row-Count"))
        size += len(body)
        if response.getheader("X-Export-Truncated") != "true":
            return segments, rows, size
        path = "/api/v1/leads/export?cursor=" + urllib.parse.quote(response.getheader("X-Export-Next-Cursor"), safe="")


def parse_wrk(output):
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rate:
        fail(f"cannot read wrk's output:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if errors:
        fail(f"wrk got {errors.group(1)} non-2xx responses (rate limited?)\n{output}")
    socket_errors = re.search(r"Socket errors:.*", output)
    latency = {}
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M):
        latency[int(pct)] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
    if 50 not in latency or 99 not in latency:
        fail(f"wrk reported no latency distribution (no request completed?):\n{output}")
    requests = re.search(r"(\d+) requests in", output)
    return float(rate.group(1)), latency, int(requests.group(1)) if requests else 0, (
        socket_errors.group(0) if socket_errors else None)


def wrk(url, connections, threads, seconds):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "60s",
               "-H", f"Authorization: Bearer {KEY}", url]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"wrk: {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def pgbench(script, clients, seconds):
    """Runs one pgbench script; returns (tps, latencies in ms from the per-transaction log)."""
    logdir = tempfile.mkdtemp(dir=OUT, prefix="pgbench-")
    threads = min(clients, os.cpu_count() or 1)
    command = [PGBENCH, "-n", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-c", str(clients),
               "-j", str(threads), "-T", str(seconds), "-M", "prepared", "-f", script, "-l",
               "--log-prefix", os.path.join(logdir, "tx"), PG["db"]]
    done = subprocess.run(command, capture_output=True, text=True, env=PG_ENV)
    if done.returncode != 0:
        fail(f"pgbench: {done.stderr.strip()}\n{done.stdout}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    if not tps:
        fail(f"cannot read pgbench's output:\n{done.stdout}")
    latencies = []
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name)) as log:
            for line in log:
                latencies.append(int(line.split()[2]) / 1000)
    shutil.rmtree(logdir, ignore_errors=True)
    return float(tps.group(1)), latencies


# --- the machine ----------------------------------------------------------------------------------------------

def command_output(command):
    try:
        return subprocess.run(command, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def load_average():
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def machine():
    memory = next((line for line in command_output(["free", "-h"]).splitlines() if line.startswith("Mem:")), "")
    model = next((line.split(":", 1)[1].strip() for line in command_output(["lscpu"]).splitlines()
                  if line.startswith("Model name")), "unknown")
    commit = command_output(["git", "rev-parse", "--short", "HEAD"])
    if not commit:
        commit = ENV.get("BENCH_COMMIT") or "unknown (not a git checkout)"
    elif command_output(["git", "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes)"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": command_output(["nproc"]),
        "memory": " ".join(memory.split()[1:2]) + " total, " + " ".join(memory.split()[6:7]) + " available"
        if memory else "unknown",
        "cpu": model,
        "kernel": command_output(["uname", "-r"]),
        "postgres": sql("SHOW server_version")[0][0],
        "dotnet": command_output(["dotnet", "--version"]),
        "curl": command_output(["curl", "--version"]).split("\n")[0].split(" ")[1],
        "wrk": command_output(["wrk", "-v"]).split("\n")[0].split(" ")[1] if command_output(["wrk", "-v"]) else "?",
        "commit": commit,
        "load_start": load_average(),
    }


# --- the benchmark --------------------------------------------------------------------------------------------

def main():
    os.makedirs(OUT, exist_ok=True)
    info = machine()
    say(f"machine: {info['nproc']} cpus ({info['cpu']}), memory {info['memory']}, load average {info['load_start']}")
    say(f"PostgreSQL {info['postgres']}, .NET SDK {info['dotnet']}, commit {info['commit']}")
    if info["nproc"] and int(info["nproc"]) <= 4 and float(info["load_start"].split()[0]) > int(info["nproc"]):
        say(f"note: load average {info['load_start']} on {info['nproc']} cpus: the machine is busy; figures are noisy")

    workspace = sql(f"SELECT id FROM workspaces WHERE slug = '{SLUG}'")[0][0]
    total = int(sql(f"SELECT count(*) FROM leads WHERE workspace_id = '{workspace}'")[0][0])
    if total != LEADS:
        fail(f"workspace {SLUG} has {total} leads, expected {LEADS}")
    say(f"workspace {SLUG} ({workspace}): {total:,} leads")

    # Segment starts (updated_at at row offsets 0, N/10, ...), the last segment's start, and the keyset
    # boundaries (last key of every 10,000 rows) for the COPY side of the full sync: one pass over the index.
    offsets = [i * total // 10 for i in range(10)]
    last_offset = total - SEGMENT
    wanted = ",".join(str(o) for o in sorted(set(offsets + [last_offset])))
    rows = sql(
        "SELECT rn, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), id FROM ("
        "SELECT updated_at, id, row_number() OVER (ORDER BY updated_at, id) - 1 AS rn FROM leads "
        f"WHERE workspace_id = '{workspace}') t WHERE rn IN ({wanted}) OR rn % {SEGMENT} = {SEGMENT - 1} ORDER BY rn")
    by_offset = {int(rn): (ts, key) for rn, ts, key in rows}
    starts = [by_offset[o][0] for o in offsets]
    last_start = by_offset[last_offset][0]
    boundaries = [by_offset[o] for o in sorted(by_offset) if o % SEGMENT == SEGMENT - 1 and o < total - 1]
    say(f"segment starts (from): {starts[0]} ... {starts[-1]}; last segment from {last_start}")

    def export_url(start):
        return f"{BASE_URL}/api/v1/leads/export?from={start}&limit={SEGMENT}"

    def copy_where(start):
        return f"l.updated_at >= '{start}'"

    sections = []
    results = {"machine": info, "leads": total, "workspace": SLUG, "segment_starts": starts, "sections": sections}

    # Same slice, same columns, same formats: compare one segment field by field before timing anything.
    say("checking that the API's segment and COPY's slice hold the same rows and fields")
    probe = starts[len(starts) // 2]
    client = KeepAliveClient()
    response, api_body = client.get(f"/api/v1/leads/export?from={probe}&limit={SEGMENT}")
    client.close()
    copy_script = psql_script([copy_line(workspace, copy_where(probe))])
    _, copy_body = timed(psql_command("-f", copy_script), stdout=subprocess.PIPE, env=PG_ENV)
    api_rows = list(csv.reader(io.StringIO(api_body.decode("utf-8"), newline="")))
    copy_rows = list(csv.reader(io.StringIO(copy_body, newline="")))
    if api_rows[0] != copy_rows[0]:
        fail(f"headers differ:\n API  {api_rows[0]}\n COPY {copy_rows[0]}")
    if len(api_rows) != len(copy_rows):
        fail(f"the API's segment has {len(api_rows) - 1} rows, COPY's slice {len(copy_rows) - 1}")
    escaped = 0
    for api_row, copy_row in zip(api_rows[1:], copy_rows[1:]):
        for name, a, c in zip(api_rows[0], api_row, copy_row):
            if a == c:
                continue
            if a == "'" + c:
                escaped += 1   # formula safety: ' before '=', '+', '-', '@', tab, CR, LF (not before a plain number)
                continue
            fail(f"field {name} differs for lead {api_row[0]}: API {a!r}, COPY {c!r}")
    say(f"  identical: {len(api_rows) - 1:,} rows x {len(api_rows[0])} columns; {escaped} formula-escaped fields; "
        f"API {len(api_body):,} bytes (CRLF), COPY {len(copy_body.encode()):,} bytes (LF)")
    results["check"] = {"rows": len(api_rows) - 1, "escaped_fields": escaped, "api_bytes": len(api_body),
                        "copy_bytes": len(copy_body.encode())}
    rss_idle_start = rss_mb()
    meter = CpuMeter()

    # 1. Ten segments, amortized -------------------------------------------------------------------------------
    section = Section(1, "Ten export segments, amortized (one client process, one kept-alive connection)")
    sections.append(section)
    say(f"[1/7] ten {SEGMENT:,}-row segments at depths 0, 10%, ..., 90%: one curl (10 URLs) vs one psql (10 \\copy), "
        f"{RUNS} interleaved runs")
    urls = [export_url(s) for s in starts]
    ten_copy = psql_script([copy_line(workspace, copy_where(s)) for s in starts])
    api_times, copy_times, ratios, sizes, api_cpu, copy_cpu, cpu_ratios = [], [], [], [], [], [], []
    for run in range(RUNS + 1):
        (api_time, output), api_used = with_cpu(meter, lambda: timed(curl_command(urls), stdout=subprocess.PIPE))
        transfers = curl_transfers(output, len(urls))
        (copy_time, _), copy_used = with_cpu(meter, lambda: timed(psql_command("-f", ten_copy), env=PG_ENV))
        if run == 0:
            say(f"  warm-up: export {api_time * 1000:.0f} ms, COPY {copy_time * 1000:.0f} ms")
            continue
        api_times.append(api_time)
        copy_times.append(copy_time)
        ratios.append(api_time / copy_time)
        sizes.append(sum(t[2] for t in transfers))
        api_cpu.append(api_used)
        copy_cpu.append(copy_used)
        cpu_ratios.append((api_used["api"] + api_used["pg"]) / copy_used["pg"])
        say(f"  run {run}/{RUNS}: export {api_time * 1000:.0f} ms, COPY {copy_time * 1000:.0f} ms, "
            f"ratio {api_time / copy_time:.2f}; CPU: API {api_used['api'] * 1000:.0f} ms + PostgreSQL "
            f"{api_used['pg'] * 1000:.0f} ms vs PostgreSQL {copy_used['pg'] * 1000:.0f} ms")
    section.add(Figure("export: one curl, ten segments", "s", api_times))
    section.add(Figure("COPY: one psql, ten \\copy", "s", copy_times))
    ratio = section.add(Figure("ratio export / COPY (per interleaved pair)", "x", ratios))
    cpu_figures(section, "export", api_cpu, [("api", None), ("pg", None), ("clients", "curl")])
    cpu_figures(section, "COPY", copy_cpu, [("pg", None), ("clients", "psql")])
    section.add(Figure("server CPU ratio: (API + PostgreSQL) / PostgreSQL for COPY", "x", cpu_ratios))
    section.goal("<= 1.0", ratio.median <= 1.0, f"median ratio {ratio.fmt(ratio.median)}")
    section.note(f"{10 * SEGMENT:,} rows, {statistics.median(sizes) / 1e6:.1f} MB of CSV per run; times are wall "
                 "clock of the whole client process (start, connect, all transfers), so process start is amortized "
                 "over ten segments.")
    section.note("CPU figures are CPU seconds from /proc (API process; the PostgreSQL cluster's processes, backends "
                 "that ended included; the client process) during each run: unlike wall time, they do not grow when "
                 "other work shares the machine. The server CPU ratio is the export's total server work against "
                 "COPY's.")

    # 2. One segment, cold client ----------------------------------------------------------------------------
    section = Section(2, "One export segment, cold client (process start included)")
    sections.append(section)
    cold_runs = 3 * RUNS
    say(f"[2/7] one segment, cold: a new curl vs a new psql per run, {cold_runs} interleaved runs")
    one_copy = psql_script([copy_line(workspace, copy_where(starts[0]))])
    api_times, copy_times, ratios = [], [], []
    for run in range(cold_runs):
        api_time, output = timed(curl_command(urls[:1]), stdout=subprocess.PIPE)
        curl_transfers(output, 1)
        copy_time, _ = timed(psql_command("-f", one_copy), env=PG_ENV)
        api_times.append(api_time)
        copy_times.append(copy_time)
        ratios.append(api_time / copy_time)
    section.add(Figure("export: one curl, one segment", "s", api_times))
    section.add(Figure("COPY: one psql, one \\copy", "s", copy_times))
    ratio = section.add(Figure("ratio export / COPY (per interleaved pair)", "x", ratios))
    section.goal("<= 1.0", ratio.median <= 1.0, f"median ratio {ratio.fmt(ratio.median)}")
    section.note("The first segment of the workspace. psql connects over TCP with a password (SCRAM), the way a "
                 "remote client (and the API) connects; curl sends the API key over plain HTTP.")

    # 3. Depth -------------------------------------------------------------------------------------------------
    section = Section(3, "Depth: the last segment against the first")
    sections.append(section)
    pairs = 5
    middle_start = starts[5]
    depths = (starts[0], last_start, middle_start)
    say(f"[3/7] first vs last segment (and the middle one): {RUNS} curl processes, each {pairs} x (first, last, "
        "middle) over one connection")
    first_times, last_times, middle_times, ratios, middle_ratios = [], [], [], [], []
    copy_times = {s: [] for s in depths}
    depth_copy = psql_script(["\\timing on"] + [copy_line(workspace, copy_where(s), "'/dev/null'")
                                                for _ in range(pairs) for s in depths])
    for run in range(RUNS + 1):
        _, output = timed(curl_command([export_url(s) for _ in range(pairs) for s in depths]), stdout=subprocess.PIPE)
        transfers = curl_transfers(output, len(depths) * pairs)
        _, copy_output = timed(psql_command("-f", depth_copy), stdout=subprocess.PIPE, env=PG_ENV)
        copy_ms = [float(m) for m in re.findall(r"^Time: ([\d.]+) ms", copy_output, re.M)]
        if run == 0:
            continue
        for i in range(pairs):
            first, last, middle = (t[3] for t in transfers[len(depths) * i:len(depths) * (i + 1)])
            first_times.append(first)
            last_times.append(last)
            middle_times.append(middle)
            ratios.append(last / first)
            middle_ratios.append(middle / first)
        if len(copy_ms) == len(depths) * pairs:
            for i, start in enumerate(depths):
                copy_times[start] += copy_ms[i::len(depths)]
    section.add(Figure("export: first segment (curl time_total)", "s", first_times))
    section.add(Figure("export: last segment (curl time_total)", "s", last_times))
    ratio = section.add(Figure("ratio last / first (per pair)", "x", ratios))
    section.add(Figure("export: middle segment, 50% deep (curl time_total)", "s", middle_times))
    section.add(Figure("ratio middle / first (per pair)", "x", middle_ratios))
    if copy_times[starts[0]]:
        section.add(Figure("COPY: first slice (psql \\timing)", "ms", copy_times[starts[0]]))
        section.add(Figure("COPY: last slice (psql \\timing)", "ms", copy_times[last_start]))
        section.add(Figure("COPY: middle slice (psql \\timing)", "ms", copy_times[middle_start]))
    section.goal("<= 1.1", ratio.median <= 1.1, f"median ratio {ratio.fmt(ratio.median)}")
    section.note(f"first: from = the workspace's oldest updated_at; last: from = updated_at of row {last_offset:,} "
                 f"of {total:,} (the workspace's last {SEGMENT:,} rows); middle: from = updated_at of row "
                 f"{offsets[5]:,}. The goal compares last and first; the middle segment is reported beside them "
                 "because a plan that goes wrong with depth can spare both ends.")

    # 4. Full incremental sync -------------------------------------------------------------------------------
    section = Section(4, f"Full incremental sync of {total:,} leads")
    sections.append(section)
    slices = (total + SEGMENT - 1) // SEGMENT
    say(f"[4/7] full sync: export cursors ({slices} segments, one kept-alive connection) vs {slices} keyset "
        f"\\copy in one psql, {SYNC_RUNS} interleaved runs")
    sync_copy = psql_script(
        [copy_line(workspace, "true")]
        + [copy_line(workspace, f"(l.updated_at, l.id) > ('{ts}'::timestamptz, '{key}'::uuid)")
           for ts, key in boundaries])
    # The export side's client is Python: how much slower than curl is it on the same ten segments?
    python_times, curl_times = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        client = KeepAliveClient()
        for url in urls:
            client.get(url[len(BASE_URL):])
        client.close()
        python_times.append(time.perf_counter() - start)
        curl_time, output = timed(curl_command(urls), stdout=subprocess.PIPE)
        curl_transfers(output, len(urls))
        curl_times.append(curl_time)
    def sync_run():
        client = KeepAliveClient()
        start = time.perf_counter()
        done = sync_all(client)
        elapsed = time.perf_counter() - start
        client.close()
        return elapsed, done

    api_times, copy_times, ratios, api_cpu, copy_cpu, cpu_ratios = [], [], [], [], [], []
    for run in range(SYNC_RUNS):
        (api_time, (segments, rows_synced, size)), api_used = with_cpu(meter, sync_run)
        if rows_synced != total or segments != slices:
            fail(f"the sync returned {rows_synced:,} rows in {segments} segments, expected {total:,} in {slices}")
        (copy_time, _), copy_used = with_cpu(meter, lambda: timed(psql_command("-f", sync_copy), env=PG_ENV))
        api_times.append(api_time)
        copy_times.append(copy_time)
        ratios.append(api_time / copy_time)
        api_cpu.append(api_used)
        copy_cpu.append(copy_used)
        cpu_ratios.append((api_used["api"] + api_used["pg"]) / copy_used["pg"])
        say(f"  run {run + 1}/{SYNC_RUNS}: export {api_time:.2f} s ({size / 1e6:.0f} MB), COPY {copy_time:.2f} s, "
            f"ratio {api_time / copy_time:.2f}; CPU: API {api_used['api']:.2f} s + PostgreSQL {api_used['pg']:.2f} s "
            f"vs PostgreSQL {copy_used['pg']:.2f} s")
    section.add(Figure(f"export: {slices} segments through cursors", "s", api_times))
    section.add(Figure(f"COPY: {slices} keyset slices in one psql", "s", copy_times))
    section.add(Figure("export rows per second", "rows/s", [total / t for t in api_times]))
    section.add(Figure("COPY rows per second", "rows/s", [total / t for t in copy_times]))
    ratio = section.add(Figure("ratio export / COPY (per interleaved pair)", "x", ratios))
    cpu_figures(section, "export", api_cpu, [("api", None), ("pg", None), ("self", None)])
    cpu_figures(section, "COPY", copy_cpu, [("pg", None), ("clients", "psql")])
    section.add(Figure("server CPU ratio: (API + PostgreSQL) / PostgreSQL for COPY", "x", cpu_ratios))
    section.add(Figure("client check: the ten segments of 1 by the Python client", "s", python_times))
    section.add(Figure("client check: the same by curl (process start included)", "s", curl_times))
    section.goal("<= 1.1", ratio.median <= 1.1, f"median ratio {ratio.fmt(ratio.median)}")
    section.note("The export side is a Python http.client loop that follows X-Export-Next-Cursor (no process start); "
                 "the COPY side is one psql process whose slices start after the previous slice's last "
                 "(updated_at, id), read once at setup. The client check shows what the Python client itself "
                 "costs against curl on the same requests.")

    # 5. Memory ----------------------------------------------------------------------------------------------
    section = Section(5, f"Memory of the API process ({CLIENTS} concurrent exporters)")
    sections.append(section)
    say(f"[5/7] memory: {CLIENTS} curl processes at once, each 10 segments at different depths, {SYNC_RUNS} runs")
    peaks, sampled, idles, rates = [], [], [], []
    hwm_resettable = True
    for run in range(SYNC_RUNS):
        time.sleep(3)
        idles.append(rss_mb())
        hwm_resettable = reset_peak_rss() and hwm_resettable
        samples = [rss_mb()]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(rss_mb())
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        clients = [subprocess.Popen(curl_command([urls[(c + i) % 10] for i in range(10)]), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE) for c in range(CLIENTS)]
        for process in clients:
            output, error = process.communicate()
            if process.returncode != 0:
                fail(f"curl: {error.decode(errors='replace')}")
            curl_transfers(output.decode(), 10)
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
        peak = rss_mb("VmHWM") if hwm_resettable else max(samples)
        peaks.append(peak)
        sampled.append(max(samples))
        rates.append(CLIENTS * 10 * SEGMENT / elapsed)
        say(f"  run {run + 1}/{SYNC_RUNS}: idle {idles[-1]:.0f} MB, peak {peak:.0f} MB, "
            f"{CLIENTS * 10 * SEGMENT / elapsed:,.0f} rows/s in all")
    time.sleep(5)
    idle_after = rss_mb()
    section.add(Figure("peak RSS while exporting (VmHWM)" if hwm_resettable else "peak RSS (sampled)", "MB", peaks))
    section.add(Figure("peak RSS, sampled every 20 ms", "MB", sampled))
    section.add(Figure("idle RSS before each run", "MB", idles))
    section.add(Figure(f"throughput of the {CLIENTS} exporters together", "rows/s", rates))
    section.goal("<= 200 MB peak", max(peaks) <= 200, f"max peak {max(peaks):.1f} MB")
    section.note(f"idle RSS after the first warm-up request: {rss_idle_start:.1f} MB; 5 s after the last run: "
                 f"{idle_after:.1f} MB.")
    section.note(f"Each of the {CLIENTS} clients is one curl fetching 10 segments ({10 * SEGMENT:,} rows) over one "
                 "connection, starting at a different depth; the peak is the kernel's high-water mark of resident "
                 "memory, reset before each run." if hwm_resettable else
                 "The kernel did not allow resetting VmHWM; the peak is the highest sample.")

    # The same work without the API: CLIENTS psql sessions at once, each running the same ten \copy slices that its
    # curl client fetched, so the aggregate rate compares the API's concurrent exports with PostgreSQL's own.
    say(f"  {CLIENTS} concurrent psql sessions, each 10 \\copy slices, {SYNC_RUNS} runs")
    copy_rates = []
    client_scripts = [psql_script([copy_line(workspace, copy_where(starts[(c + i) % 10]), "'/dev/null'") for i in range(10)])
                      for c in range(CLIENTS)]
    for run in range(SYNC_RUNS):
        start = time.perf_counter()
        sessions = [subprocess.Popen(psql_command("-f", script), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=PG_ENV)
                    for script in client_scripts]
        for process in sessions:
            _, error = process.communicate()
            if process.returncode != 0:
                fail(f"psql: {error.decode(errors='replace')}")
        copy_rates.append(CLIENTS * 10 * SEGMENT / (time.perf_counter() - start))
    section.add(Figure(f"throughput of {CLIENTS} concurrent psql \\copy sessions, same slices", "rows/s", copy_rates))
    ratio = statistics.median(rates) / statistics.median(copy_rates)
    section.goal(f"{CLIENTS} concurrent exports >= 1.0x of {CLIENTS} concurrent \\copy sessions (rows/s)", ratio >= 1.0,
                 f"{ratio:.2f}x")

    # 6. List throughput -------------------------------------------------------------------------------------
    section = Section(6, f"List throughput: GET /api/v1/leads?limit=50 at concurrency {CONCURRENCY}")
    sections.append(section)
    say(f"[6/7] list: wrk vs pgbench (the same query), {CONCURRENCY} connections, {DURATION} s each, "
        f"{SYNC_RUNS} interleaved runs")
    list_url = f"{BASE_URL}/api/v1/leads?limit=50"
    list_sql = psql_script([
        f"SELECT {LIST_COLUMNS} FROM leads l LEFT JOIN status_stages s ON s.id = l.status_stage_id "
        f"WHERE l.workspace_id = '{workspace}' AND l.updated_at <= now() - interval '5 seconds' "
        "ORDER BY l.updated_at, l.id LIMIT 51;"])
    # Warm-up: the list's code is first run here, and .NET compiles its hot methods again, optimised, during the first
    # seconds of load (measured: about 1,200 req/s in the first 10 s, 2,900-3,350 from 20 s on, with the JIT at 12% of
    # the API's CPU after 16 s and under 1% after 60 s). A server runs for days; the runs measure it settled.
    if LIST_WARM_UP > 0:
        say(f"  warm-up: {LIST_WARM_UP} s of the same load")
        wrk(list_url, CONCURRENCY, 2, LIST_WARM_UP)
    # The floor (bench/floor): the same first page by the least .NET can do, alone and after the counter's upsert.
    floors = {"page": f"{FLOOR_URL}/page", "counted": f"{FLOOR_URL}/counted"}
    floor_warm_up = min(LIST_WARM_UP, 15)
    if floor_warm_up > 0:
        say(f"  warm-up of the floor: {floor_warm_up} s of each of its two routes")
        for url in floors.values():
            wrk(url, CONCURRENCY, 2, floor_warm_up)
    floor_rates = {name: [] for name in floors}
    floor_ratios = {name: [] for name in floors}
    floor_cpu = {name: [] for name in floors}
    api_rates, api_p50, api_p99, db_rates, db_p50, db_p99, ratios = [], [], [], [], [], [], []
    api_cpu, db_cpu, cpu_ratios = [], [], []
    for run in range(SYNC_RUNS):
        (rate, latency, requests, socket_errors), api_used = with_cpu(
            meter, lambda: wrk(list_url, CONCURRENCY, 2, DURATION))
        if socket_errors:
            section.note(f"run {run + 1}: wrk {socket_errors}")
        (tps, latencies), db_used = with_cpu(meter, lambda: pgbench(list_sql, CONCURRENCY, DURATION))
        api_cpu.append({k: v / requests for k, v in api_used.items()})
        db_cpu.append({k: v / len(latencies) for k, v in db_used.items()})
        cpu_ratios.append(db_cpu[-1]["pg"] / (api_cpu[-1]["api"] + api_cpu[-1]["pg"]))
        api_rates.append(rate)
        api_p50.append(latency[50])
        api_p99.append(latency[99])
        db_rates.append(tps)
        db_p50.append(percentile(latencies, 50))
        db_p99.append(percentile(latencies, 99))
        ratios.append(rate / tps)
        for name, url in floors.items():
            (floor_rate, _, floor_requests, _), floor_used = with_cpu(meter, lambda: wrk(url, CONCURRENCY, 2, DURATION))
            floor_rates[name].append(floor_rate)
            floor_ratios[name].append(floor_rate / tps)
            floor_cpu[name].append({k: v / floor_requests for k, v in floor_used.items()})
        say(f"  run {run + 1}/{SYNC_RUNS}: API {rate:,.0f} req/s (p50 {latency[50]:.1f} ms, p99 {latency[99]:.1f} ms), "
            f"pgbench {tps:,.0f} tps (p50 {db_p50[-1]:.1f} ms, p99 {db_p99[-1]:.1f} ms), "
            f"floor {floor_rates['page'][-1]:,.0f} req/s, floor with the counter {floor_rates['counted'][-1]:,.0f} req/s")
    section.add(Figure("API requests per second (wrk)", "req/s", api_rates))
    section.add(Figure("API p50 latency", "ms", api_p50))
    section.add(Figure("API p99 latency", "ms", api_p99))
    section.add(Figure("pgbench transactions per second (same query)", "req/s", db_rates))
    section.add(Figure("pgbench p50 latency", "ms", db_p50))
    section.add(Figure("pgbench p99 latency", "ms", db_p99))
    ratio = section.add(Figure("API rate / pgbench rate (per interleaved pair)", "x", ratios))
    cpu_figures(section, "API", api_cpu, [("api", None), ("pg", None), ("clients", "wrk")], unit="ms",
                per_name="per request")
    cpu_figures(section, "pgbench", db_cpu, [("pg", None), ("clients", "pgbench")], unit="ms",
                per_name="per transaction")
    section.add(Figure("CPU-bound rate ratio: PostgreSQL per transaction / (API + PostgreSQL) per request", "x",
                       cpu_ratios))
    labels = {"page": "floor, the page alone", "counted": "floor, the counter's upsert and the page"}
    for name, label in labels.items():
        section.add(Figure(f"{label}: requests per second (wrk)", "req/s", floor_rates[name]))
        section.add(Figure(f"{label}: rate / pgbench rate (same run)", "x", floor_ratios[name]))
        cpu_figures(section, label, floor_cpu[name], [("floor", None), ("pg", None), ("clients", "wrk")], unit="ms",
                    per_name="per request")
    section.goal(">= 50% of pgbench's rate", ratio.median >= 0.5, f"median {ratio.median * 100:.0f}%")
    section.note(f"wrk -t2 -c{CONCURRENCY} -d{DURATION}s --latency, after {LIST_WARM_UP} s of the same load as a warm-up; pgbench -M prepared -c{CONCURRENCY} "
                 f"-j{min(CONCURRENCY, os.cpu_count() or 1)} -T{DURATION} with the list endpoint's first-page query "
                 "(LIMIT 51). The API also authenticates the key and counts the request in its PostgreSQL rate-limit "
                 "bucket; pgbench runs the lead query alone. Both load generators run on the same machine.")
    section.note("The CPU-bound rate ratio is the rate ratio to expect when the server CPU is the limit: the "
                 "database's CPU per pgbench transaction over the API's and the database's CPU per API request.")
    section.note("The floor (bench/floor/Program.cs) is not the API: the same first page by Kestrel, Npgsql and "
                 "Utf8JsonWriter alone, with the key compared to one hash in memory and no MVC, MediatR, validation, "
                 "signed cursor, watermark, logging or metrics. Its first route runs the page alone; its second first "
                 "counts the request with the API's counter upsert, one per request (the API sends one per bucket at a "
                 "time and counts the requests that queued meanwhile together, ADR-010 decision 11). It runs in the same "
                 "runs as wrk and pgbench, after them: it is the reference for what the goal asks of .NET on this "
                 "machine, not a goal.")

    # The cost of one small request against the HTTP stack's own: one client, limit=1, against /healthz.
    say(f"  one client: GET /api/v1/leads?limit=1 vs GET /healthz, 5 s each, {SYNC_RUNS} interleaved runs")
    small_url, health_url = f"{BASE_URL}/api/v1/leads?limit=1", f"{BASE_URL}/healthz"
    wrk(small_url, 1, 1, 2)   # warm-up
    small_p50, health_p50, small_ratios = [], [], []
    for run in range(SYNC_RUNS):
        small_p50.append(wrk(small_url, 1, 1, 5)[1][50])
        health_p50.append(wrk(health_url, 1, 1, 5)[1][50])
        small_ratios.append(small_p50[-1] / health_p50[-1])
        say(f"  run {run + 1}/{SYNC_RUNS}: limit=1 p50 {small_p50[-1]:.3f} ms, /healthz p50 {health_p50[-1]:.3f} ms")
    section.add(Figure("one client, limit=1: p50 latency", "ms", small_p50, 3))
    section.add(Figure("one client, GET /healthz: p50 latency", "ms", health_p50, 3))
    small = section.add(Figure("limit=1 p50 / /healthz p50 (per interleaved pair)", "x", small_ratios))
    section.goal("one client, limit=1: p50 <= 2x the p50 of GET /healthz", small.median <= 2.0,
                 f"median ratio {small.median:.2f}x")
    section.note("wrk -t1 -c1 -d5s --latency, one kept-alive connection. /healthz is the same HTTP stack with two "
                 "trivial queries (one per pool) instead of authentication, the rate-limit counter and the page query.")

    # 7. Search ----------------------------------------------------------------------------------------------
    section = Section(7, f"Search on the {total:,}-lead workspace (GET /api/v1/leads?search=...&limit=50)")
    sections.append(section)
    search_seconds = max(3, DURATION // 2)
    say(f"[7/7] search: one connection, {search_seconds} s per term and run (wrk), {SYNC_RUNS} runs; the same statements "
        "by pgbench -c1 for the database's share")
    worst_p99 = 0.0
    for what, term in SEARCH_TERMS:
        pattern = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = int(sql(f"SELECT count(*) FROM leads WHERE workspace_id = '{workspace}' "
                          f"AND search_text LIKE '{pattern}'")[0][0])
        url = f"{BASE_URL}/api/v1/leads?search={urllib.parse.quote(term, safe='')}&limit=50"
        # The endpoint's two statements for a term too rare to fill its page from the slice's next 500 rows
        # (LeadRepository.SearchAsync): that window in keyset order, then the term's matches from the trigram index.
        slice_where = f"l.workspace_id = '{workspace}' AND l.updated_at <= now() - interval '5 seconds'"
        window_query = (
            f"SELECT {LIST_COLUMNS} FROM (SELECT * FROM leads l WHERE {slice_where} ORDER BY l.updated_at, l.id "
            f"LIMIT 500) l LEFT JOIN status_stages s ON s.id = l.status_stage_id WHERE l.search_text LIKE '{pattern}' "
            "ORDER BY l.updated_at, l.id LIMIT 51")
        search_query = (
            f"SELECT {LIST_COLUMNS} FROM (SELECT * FROM leads l WHERE {slice_where} AND l.search_text LIKE '{pattern}' "
            "OFFSET 0) l LEFT JOIN status_stages s ON s.id = l.status_stage_id ORDER BY l.updated_at, l.id LIMIT 51")
        in_window = int(sql(f"SELECT count(*) FROM ({window_query}) w")[0][0])
        if in_window > 50:
            fail(f"'{term}' fills its page from the window ({in_window} rows): choose a rarer term for this section")
        search_sql = psql_script([window_query + ";", search_query + ";"])
        plan = plan_summary(search_query)
        say(f"  '{term}': {matches:,} matches; plan: {plan}")
        wrk(url, 1, 1, 1)   # warm-up
        p50s, p99s, db50, db99 = [], [], [], []
        for _ in range(SYNC_RUNS):
            _, latency, _, _ = wrk(url, 1, 1, search_seconds)
            p50s.append(latency[50])
            p99s.append(latency[99])
            _, latencies = pgbench(search_sql, 1, search_seconds)
            db50.append(percentile(latencies, 50))
            db99.append(percentile(latencies, 99))
        label = f"'{term}' ({what}, {matches:,} matches)"
        section.note(f"'{term}': the planner's choice for the endpoint's trigram statement: {plan}.")
        section.add(Figure(f"{label}: API p50", "ms", p50s))
        section.add(Figure(f"{label}: API p99", "ms", p99s))
        section.add(Figure(f"{label}: database alone p50 (pgbench)", "ms", db50))
        section.add(Figure(f"{label}: database alone p99 (pgbench)", "ms", db99))
        worst_p99 = max(worst_p99, statistics.median(p99s))
    section.goal("p99 <= 50 ms", worst_p99 <= 50, f"worst median p99 {worst_p99:.1f} ms")
    section.note("Sequential requests over one connection (wrk -t1 -c1 --latency); matches are the workspace's "
                 "leads whose search text contains the term. The pgbench figures run the endpoint's two statements "
                 "for such a term alone (the slice's next 500 rows in keyset order, then the term's matches from the "
                 "trigram index, LIMIT 51): the gap between the two is the API's share.")

    info["load_end"] = load_average()
    say(f"load average at the end: {info['load_end']}")
    report = render(info, total, sections, previous_run(RESULTS))
    with open(RESULTS, "w") as results_file:
        results_file.write(report)
    results["sections"] = [s.to_json() for s in sections]
    with open(os.path.join(OUT, "results.json"), "w") as results_json:
        json.dump(results, results_json, indent=2)
    for name in os.listdir(OUT):
        if name.endswith(".sql"):
            os.remove(os.path.join(OUT, name))
    print()
    print(report, flush=True)
    say(f"wrote {RESULTS} and {OUT}/results.json")


def previous_run(path):
    """The goals table, date, load and commit of the report this run replaces, for the before/after table."""
    try:
        with open(path) as report:
            text = report.read()
    except FileNotFoundError:
        return None
    field = lambda name: (re.search(rf"^\| {re.escape(name)} \| (.*) \|$", text, re.M) or [None, "?"])[1]
    goals = {}
    for number, goal, measured, status in re.findall(r"^\| (\d+) \| (.+?) \| (.+?) \| (met|\*\*missed\*\*) \|$",
                                                   text, re.M):
        goals[goal] = (measured, status.strip("*"))
    return {"date": field("date"), "load": field("load average (1, 5, 15 min) at start"), "commit": field("commit"),
            "goals": goals}


def render(info, total, sections, previous=None):
    goals = [(s, text, met, measured) for s in sections for text, met, measured in s.goals]
    lines = [
        "# RoofKit Partner API: benchmark results",
        "",
        f"Written by `make bench` (bench/run.sh, bench/bench.py) on {info['date']}. Every figure below is the one "
        "the run printed. How to run and read it: [README.md](README.md).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| date | {info['date']} |",
        f"| CPUs (nproc) | {info['nproc']} |",
        f"| CPU model | {info['cpu']} |",
        f"| memory (free -h) | {info['memory']} |",
        f"| kernel | {info['kernel']} |",
        f"| load average (1, 5, 15 min) at start | {info['load_start']} |",
        f"| load average at end | {info['load_end']} |",
        f"| PostgreSQL | {info['postgres']} (private cluster, default settings) |",
        f"| .NET SDK | {info['dotnet']} (API built in Release, ASPNETCORE_ENVIRONMENT=Production) |",
        f"| clients | curl {info['curl']}, wrk {info['wrk']}, psql, pgbench, Python http.client |",
        f"| commit | {info['commit']} |",
        "",
        f"Workspace `{SLUG}`: {total:,} seeded leads (`seed --leads {total} --seed 1`), seeded once and reused; "
        f"`VACUUM (ANALYZE)` before each run. Segments are {SEGMENT:,} rows. Short measurements are repeated "
        f"{RUNS} times (the cold client {3 * RUNS} times), the long ones (full sync, memory, wrk/pgbench, search) "
        f"{SYNC_RUNS} times; every figure is median, min and max over those runs.",
        "",
        "**Rate limits:** the benchmark uses its own key (created for the run, revoked after) on an API instance "
        "started with `RateLimits__Export__PermitLimit` and `RateLimits__List__PermitLimit` set to 1,000,000,000, "
        "so no request waits for or is refused by a rate limit. Every request still passes through "
        "authentication, the rate-limit counter in PostgreSQL, validation and formula-safe CSV writing.",
        "",
    ]
    load = float(info["load_start"].split()[0])
    if info["nproc"] and load > int(info["nproc"]):
        lines += [f"**Noise:** the load average at the start was {info['load_start']} on {info['nproc']} CPUs: other "
                  "work shared the machine, so absolute times are inflated and spread; the interleaved ratios are the "
                  "steadier figures.", ""]
    lines += ["## Goals", "", "| # | goal | measured | |", "|---|---|---|---|"]
    for section, text, met, measured in goals:
        lines.append(f"| {section.number} | {section.title.split(' (')[0]}: {text} | {measured} | "
                     f"{'met' if met else '**missed**'} |")
    lines.append("")
    if previous and previous["goals"]:
        lines += ["## Before and after", "",
                  f"Before: the report this run replaced ({previous['date']}, commit {previous['commit']}, load average "
                  f"at start {previous['load']}). After: this run (load average at start {info['load_start']}).", "",
                  "| goal | before | after |", "|---|---|---|"]
        for section, text, met, measured in goals:
            goal = f"{section.title.split(' (')[0]}: {text}"
            before, status = previous["goals"].get(goal, ("not measured", ""))
            lines.append(f"| {goal} | {before}{f' ({status})' if status else ''} | {measured} "
                         f"({'met' if met else 'missed'}) |")
        lines.append("")
    for section in sections:
        lines.append(section.markdown())
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    main()
