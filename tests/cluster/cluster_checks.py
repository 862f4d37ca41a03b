#!/usr/bin/env python3
"""The checks of issue #17 against a running `make cluster` (scripts/cluster-test.sh starts one and runs this).

Reads the cluster's env file (ROOFKIT_CLUSTER_ENV, default .roofkit/cluster.env). Each check prints PASS or FAIL with
what it measured; the last line is `cluster checks: N passed, N failed` and the exit code is 1 when any failed.
Only the Python standard library, psql and the API's own admin mode (--json) are used.

  export-bucket   75 concurrent exports through nginx with one key: exactly the bucket's remaining count pass it
  client-address  failed authentications from two client addresses count in two buckets; a forged
                  X-Forwarded-For changes nothing
  replica-sync    replay paused on the replica while a writer commits on the primary and a client syncs through
                  nginx: after resume the client's copy equals the primary's, no row skipped
  kill-instance   a revocation is refused by both instances at once; then instance 1 is killed (SIGKILL) under a
                  steady list load: no request fails but those in flight on it, an export on instance 2 completes
"""
import csv
import http.client
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r'^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$', line.strip())
            if m:
                env[m.group(1)] = m.group(2).strip().strip('"').strip("'")
    return env


ENV = load_env(os.environ.get("ROOFKIT_CLUSTER_ENV", os.path.join(ROOT, ".roofkit/cluster.env")))
BASE = ENV["ROOFKIT_BASE_URL"]
API_DLL = ENV["ROOFKIT_API_DLL"]   # the build cluster.sh started (its target framework read by scripts/lib.sh)
NGINX_HOST, NGINX_PORT = BASE.split("//", 1)[1].split(":")
NGINX_PORT = int(NGINX_PORT)
INSTANCES = ENV["ROOFKIT_API_INSTANCE_URLS"].split()
CLUSTER_DIR = ENV["ROOFKIT_CLUSTER_DIR"]
PRIMARY = ENV["ROOFKIT_DATABASE_URL"]
REPLICA = ENV["ROOFKIT_REPLICA_DATABASE_URL"]
RUN = uuid.uuid4().hex[:8]


def say(text):
    print(text, flush=True)


# --- tools --------------------------------------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    def code(self):
        try:
            return json.loads(self.body)["error"]["code"]
        except Exception:
            return None


def get(path, key=None, source="127.0.0.1", host=None, port=None, headers=None, timeout=60):
    """One GET on a connection of its own from `source` (any 127.x address reaches nginx on 127.0.0.1)."""
    conn = http.client.HTTPConnection(host or NGINX_HOST, port or NGINX_PORT, timeout=timeout, source_address=(source, 0))
    try:
        h = dict(headers or {})
        if key:
            h["Authorization"] = f"Bearer {key}"
        conn.request("GET", path, headers=h)
        r = conn.getresponse()
        body = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, body)
    finally:
        conn.close()


def instance(url):
    host, port = url.split("//", 1)[1].split(":")
    return host, int(port)


def admin(*args):
    env = dict(os.environ, ConnectionStrings__Default=PRIMARY,
               ASPNETCORE_CONTENTROOT=os.path.dirname(API_DLL), Logging__Console__FormatterName="simple")
    done = subprocess.run(["dotnet", API_DLL, *args, "--json"], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"admin {' '.join(args)}: exit {done.returncode}: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout)


def psql(url, sql):
    return subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def workspace(name, scopes, leads=0):
    slug = f"ct-{name}-{RUN}"
    admin("workspaces", "create", "--slug", slug, "--name", f"cluster test {name}")
    if leads:
        admin("seed", "--workspace", slug, "--leads", str(leads))
    key = admin("keys", "create", "--workspace", slug, "--name", name, "--scopes", scopes)["key"]
    ws = psql(PRIMARY, f"SELECT id FROM workspaces WHERE slug = '{slug}'")
    return slug, ws, key


def new_key(slug, name, scopes):
    k = admin("keys", "create", "--workspace", slug, "--name", name, "--scopes", scopes)
    return k["key"], k["id"]


def window_left(seconds=60):
    return seconds - (time.time() % seconds)


def fresh_window(need):
    """Fixed windows are aligned to the clock: start a check only with `need` seconds of its window left."""
    left = window_left()
    if left < need:
        time.sleep(left + 0.5)


def random_address():
    return f"127.{random.randint(10, 250)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def parallel(n, fn):
    results = [None] * n
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 — a transport error is a result here
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# --- the checks ---------------------------------------------------------------------------------------------------

def check_export_bucket():
    slug, _, key = workspace("bucket", "leads.export", leads=20)
    fresh_window(20)
    first = get("/api/v1/leads/export?limit=1", key)
    assert first.status == 200, f"first export: {first.status} {first.body[:200]!r}"
    remaining = int(first.header("X-RateLimit-Remaining"))
    results = parallel(75, lambda i: get("/api/v1/leads/export?limit=1", key))
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, f"transport errors: {errors[:3]}"
    by = {}
    for r in results:
        label = str(r.status) if r.status == 200 else f"{r.status} {r.code()}"
        by[label] = by.get(label, 0) + 1
    served = by.get("200", 0)
    upstreams = sorted({r.header("X-RoofKit-Upstream") for r in results})
    # make cluster-test lifts the workspace's export slots (Exports__MaxConcurrentPerWorkspace), so that the bucket
    # alone decides: every request it lets through is served.
    unexpected = {k: v for k, v in by.items() if k not in ("200", "429 rate_limited")}
    assert not unexpected, f"unexpected answers {unexpected}"
    assert served == remaining, f"{served} served, {remaining} were left in the bucket ({by})"
    after = get("/api/v1/leads/export?limit=1", key)
    assert after.status == 429 and after.code() == "rate_limited", f"after: {after.status} {after.code()}"
    return f"{remaining} left in the bucket, 75 at once: {served} served, the rest 429 rate_limited ({by}), served by {upstreams}"


def check_client_address():
    fresh_window(15)
    a, b, c, d = (random_address() for _ in range(4))
    bad = "rk_live_" + "x" * 50
    # A: its 30 failed authentications, then 429; nginx's X-Forwarded-For names A each time.
    first30 = [get("/api/v1/leads", bad, source=a).status for _ in range(30)]
    assert first30 == [401] * 30, f"A's first 30: {first30}"
    a31 = get("/api/v1/leads", bad, source=a)
    assert a31.status == 429 and a31.code() == "auth_rate_limited", f"A's 31st: {a31.status} {a31.code()}"
    # B: a bucket of its own.
    b1 = get("/api/v1/leads", bad, source=b)
    assert b1.status == 401, f"B after A is exhausted: {b1.status}"
    # A forging another address (and a chain) is still A.
    forged = get("/api/v1/leads", bad, source=a, headers={"X-Forwarded-For": f"{c}, {c}"})
    assert forged.status == 429 and forged.code() == "auth_rate_limited", f"A forging {c}: {forged.status} {forged.code()}"
    # D forging A's address is still D: nothing of A's bucket reaches it.
    d1 = get("/api/v1/leads", bad, source=d, headers={"X-Forwarded-For": a})
    assert d1.status == 401, f"D forging A: {d1.status} {d1.code()}"
    # A valid key from the exhausted address keeps working.
    ok = get("/api/v1/status-stages", ENV["ROOFKIT_DEMO_KEY"], source=a)
    assert ok.status == 200, f"valid key from A: {ok.status}"
    return (f"A ({a}): 30 x 401 then 429 auth_rate_limited; B ({b}): 401; A forging X-Forwarded-For {c}: still 429; "
            f"D ({d}) forging A: 401; a valid key from A: 200")


def sync_run(key, saved, copy, limit=25):
    """The README's recipe, step 1 (leads): page from the saved watermark to the end, upsert by id; return W."""
    path = "/api/v1/leads?limit=%d" % limit + (f"&from={saved}" if saved else "")
    watermark, pages, upstreams = None, 0, set()
    while True:
        r = get(path, key)
        assert r.status == 200, f"sync page: {r.status} {r.body[:200]!r}"
        pages += 1
        upstreams.add(r.header("X-RoofKit-Upstream"))
        watermark = watermark or r.header("X-Sync-Watermark")
        page = json.loads(r.body)
        for lead in page["data"]:
            copy[lead["id"]] = lead["updated_at"]
        if not page["has_more"]:
            return watermark, pages, upstreams
        path = f"/api/v1/leads?limit={limit}&cursor={page['next_cursor']}"


def check_replica_sync():
    slug, ws, key = workspace("sync", "leads.read")
    insert = (f"INSERT INTO leads (id, workspace_id, first_name, source) "
              f"SELECT gen_random_uuid(), '{ws}', 'n' || g, 'cluster' FROM generate_series(1, %d) g")
    psql(PRIMARY, insert % 30)
    time.sleep(6)  # past the settle lag
    copy = {}
    saved, _, _ = sync_run(key, None, copy)
    paused = False
    try:
        psql(REPLICA, "SELECT pg_wal_replay_pause()")
        paused = True
        deadline = time.time() + 10
        while psql(REPLICA, "SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.time() < deadline, "replay did not pause"
            time.sleep(0.1)
        # The writer: single inserts, updates of older rows, and a transaction that stays open 4 s, for 3 s.
        long_tx = subprocess.Popen(["psql", "-X", "-q", PRIMARY, "-c",
                                    f"BEGIN; {insert % 5}; SELECT pg_sleep(4); COMMIT;"], stdout=subprocess.DEVNULL)
        end = time.time() + 3
        while time.time() < end:
            psql(PRIMARY, insert % 3)
            psql(PRIMARY, f"UPDATE leads SET notes = 'u{time.time()}' WHERE id IN "
                          f"(SELECT id FROM leads WHERE workspace_id = '{ws}' ORDER BY random() LIMIT 2)")
            time.sleep(0.1)
        long_tx.wait(timeout=30)
        time.sleep(6)  # what was written is now below the primary's watermark, and still not on the replica
        on_primary = int(psql(PRIMARY, f"SELECT count(*) FROM leads WHERE workspace_id = '{ws}'"))
        on_replica = int(psql(REPLICA, f"SELECT count(*) FROM leads WHERE workspace_id = '{ws}'"))
        assert on_replica < on_primary, f"the replica was not behind ({on_replica} of {on_primary} rows)"
        runs = []
        for _ in range(2):
            # Small pages: a run has several, nginx alternates them between the instances, and each carries the
            # first page's WAL position in its cursor.
            saved, pages, upstreams = sync_run(key, saved, copy, limit=10)
            runs.append((saved, pages, sorted(upstreams)))
        during = len(copy)
    finally:
        if paused:
            psql(REPLICA, "SELECT pg_wal_replay_resume()")
    time.sleep(6)
    saved, _, _ = sync_run(key, saved, copy)
    truth = dict(line.split("|") for line in psql(
        PRIMARY, f"SELECT id, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
                 f"FROM leads WHERE workspace_id = '{ws}'").splitlines())
    missing = [i for i in truth if i not in copy]
    stale = [i for i in truth if i in copy and copy[i] != truth[i]]
    assert not missing and not stale, f"{len(missing)} rows missing, {len(stale)} stale in the client's copy"
    fallbacks = 0
    for name in os.listdir(CLUSTER_DIR):
        if re.match(r"api\d\.log$", name):
            with open(os.path.join(CLUSTER_DIR, name), encoding="utf-8", errors="replace") as f:
                fallbacks += sum(1 for line in f if "serving it from the primary" in line)
    assert fallbacks > 0, "no page waited for the replica and went to the primary: the check proved nothing"
    return (f"replay paused with the replica {on_primary - on_replica} of {on_primary} rows behind; 2 sync runs "
            f"through nginx meanwhile {runs} had {during} rows; after resume the copy equals the primary "
            f"({len(truth)} rows, none missing or stale); {fallbacks} page(s) went to the primary after waiting")


def check_kill_instance():
    # A revocation takes effect on every instance at once (CONTRACT.md §2: a key cache lives a few seconds at most;
    # each instance's cache is emptied by a notification from the primary). The key is cached on both first.
    rkey, rid = new_key("demo", f"revoke-{RUN}", "leads.read")
    hosts = [instance(u) for u in INSTANCES]
    before = [get("/api/v1/status-stages", rkey, host=h, port=p).status for h, p in hosts]
    assert before == [200] * len(hosts), f"before revocation: {before}"
    admin("keys", "revoke", rid)
    revoked_at = time.time()

    def until_refused(i):
        answers = []
        while time.time() < revoked_at + 10:
            answers.append(get("/api/v1/status-stages", rkey, host=hosts[i][0], port=hosts[i][1]).status)
            if answers[-1] == 401:
                refused = time.time() - revoked_at
                # Once refused, refused for good.
                again = [get("/api/v1/status-stages", rkey, host=hosts[i][0], port=hosts[i][1]).status for _ in range(5)]
                return refused, answers, again
            time.sleep(0.01)
        return None, answers, []

    after = parallel(len(hosts), until_refused)
    for i, result in enumerate(after):
        assert not isinstance(result, Exception), f"instance {i + 1}: {result}"
        refused, answers, again = result
        assert refused is not None, f"instance {i + 1} still accepted the revoked key 10 s later: {answers[-5:]}"
        assert refused < 5, f"instance {i + 1} refused the revoked key only after {refused:.1f} s (cache age 5 s)"
        assert again == [401] * 5, f"instance {i + 1} accepted the key again after refusing it: {again}"
    accepted_after = [sum(1 for a in r[1] if a == 200) for r in after]
    revocation = (f"revocation: both instances 200 before; after `keys revoke` returned, refused by both "
                  f"({', '.join(f'{r[0] * 1000:.0f} ms' for r in after)}; accepted meanwhile: {accepted_after})")
    if len(INSTANCES) < 2:
        return revocation + "; no second instance to kill"

    # An export in progress on instance 2, through nginx, read slowly.
    ekey, _ = new_key("demo", f"export-{RUN}", "leads.export")
    survivor = INSTANCES[1].split("//", 1)[1]
    conn = resp = None
    for _ in range(8):
        conn = http.client.HTTPConnection(NGINX_HOST, NGINX_PORT, timeout=60)
        conn.request("GET", "/api/v1/leads/export?limit=10000", headers={"Authorization": f"Bearer {ekey}"})
        resp = conn.getresponse()
        if resp.status == 200 and resp.getheader("X-RoofKit-Upstream") == survivor:
            break
        resp.read()
        conn.close()
        conn = None
    assert conn is not None, "no export landed on instance 2"
    rows_promised = int(resp.getheader("X-Export-Row-Count"))
    head = resp.read(32 * 1024)

    keys = [new_key("demo", f"load-{RUN}-{i}", "leads.read")[0] for i in range(4)]
    stop = threading.Event()
    log = []  # (time, status or exception text, upstream)
    lock = threading.Lock()

    def load(i):
        while not stop.is_set():
            t = time.time()
            try:
                r = get("/api/v1/leads?limit=20", keys[i], timeout=10)
                entry = (t, r.status, r.header("X-RoofKit-Upstream"))
            except Exception as e:  # noqa: BLE001
                entry = (t, f"{type(e).__name__}: {e}", None)
            with lock:
                log.append(entry)
            time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(i,)) for i in range(len(keys))]
    for t in threads:
        t.start()
    time.sleep(2)
    with open(os.path.join(CLUSTER_DIR, "api1.pid"), encoding="utf-8") as f:
        pid = int(f.read().strip())
    killed_at = time.time()
    os.kill(pid, signal.SIGKILL)
    time.sleep(5)
    stop.set()
    for t in threads:
        t.join()

    rest = resp.read()
    conn.close()
    rows = list(csv.reader(io.StringIO((head + rest).decode("utf-8"))))
    assert len(rows) - 1 == rows_promised, f"export: {len(rows) - 1} rows of {rows_promised}"
    failed = [e for e in log if e[1] != 200]
    after_kill = [e for e in log if e[0] > killed_at + 0.5]
    assert len(failed) <= len(keys), f"{len(failed)} list requests failed (at most {len(keys)} were in flight): {failed[:5]}"
    assert all(e[2] == survivor for e in after_kill if e[1] == 200), "a request after the kill went to the dead instance"
    deadline = time.time() + 5
    upstream_conf = os.path.join(CLUSTER_DIR, "nginx", "upstream.conf")
    if not os.path.exists(upstream_conf):  # as root nginx may live in /tmp
        upstream_conf = None
    out = None
    while upstream_conf and time.time() < deadline:
        with open(upstream_conf, encoding="utf-8") as f:
            out = f.read()
        if re.search(INSTANCES[0].split(":")[-1] + r" down;", out):
            break
        time.sleep(0.2)
    return (f"{revocation}; {len(log)} list requests under "
            f"load, instance 1 SIGKILLed: {len(failed)} failed {[e[1] for e in failed][:4]}, "
            f"{len(after_kill)} after the kill all served by {survivor}; the export on instance 2 "
            f"({rows_promised} rows) completed; readiness watcher: "
            f"{'instance 1 marked down' if out and ' down;' in out else 'not seen'}")


CHECKS = [
    ("export-bucket", check_export_bucket),
    ("client-address", check_client_address),
    ("replica-sync", check_replica_sync),
    ("kill-instance", check_kill_instance),
]


def main():
    only = set(sys.argv[1:])
    passed = failed = 0
    for name, fn in CHECKS:
        if only and name not in only:
            continue
        started = time.time()
        try:
            detail = fn()
            passed += 1
            say(f"PASS {name} ({time.time() - started:.1f} s): {detail}")
        except Exception as e:  # noqa: BLE001
            failed += 1
            say(f"FAIL {name} ({time.time() - started:.1f} s): {type(e).__name__}: {e}")
    say(f"cluster checks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
