#!/usr/bin/env python3
"""The live log's fan-out under load: PAGES open live logs spread over the partners of a
database prepared by `prepare` (sessions and ingest tokens written straight into the SQLite
file), one event a second stored per partner through the ingest API, for SECONDS. Prints one
JSON object: the server's CPU over the measured window (share of one core, from /proc), the
chain-head lookups a second (from the metrics address, when given), and the time from an
event's ingest answer to its arrival on each open stream (median, p99, count).

  live_fanout.py prepare DB PARTNERS            -> prints the JSON of sessions and tokens
  live_fanout.py run URL PID PREPARED PAGES SECONDS [METRICS_URL]
"""
import asyncio, datetime, hashlib, json, random, secrets, sqlite3, statistics, sys, time, urllib.request


def prepare(db, partners):
    """Partners 1..PARTNERS each with a Global admin, a session and an ingest token."""
    connection = sqlite3.connect(db)
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    hash_of = connection.execute("SELECT password_hash FROM partner_users LIMIT 1").fetchone()[0]
    prepared = []
    for partner in range(1, partners + 1):
        if not connection.execute("SELECT 1 FROM partners WHERE id = ?", (partner,)).fetchone():
            connection.execute("INSERT INTO partners (id, name, domain) VALUES (?, ?, ?)",
                               (partner, f"Bench partner {partner}", f"bench{partner}.example"))
        user = 100_000 + partner
        email = f"bench.admin@bench{partner}.example"
        connection.execute(
            "INSERT OR IGNORE INTO partner_users (id, partner_id, display_name, email, role, password_hash)"
            " VALUES (?, ?, 'Bench admin', ?, 'global_admin', ?)", (user, partner, email, hash_of))
        session = secrets.token_hex(32)
        connection.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
            (hashlib.sha256(session.encode()).hexdigest(), user, stamp(now),
             stamp(now + datetime.timedelta(hours=8)), stamp(now)))
        token = "alog_" + secrets.token_hex(32)
        connection.execute(
            "INSERT INTO api_tokens (partner_id, name, token_hash, token_prefix, created_by, created_at, scopes)"
            " VALUES (?, 'bench', ?, ?, ?, ?, 'events:write')",
            (partner, hashlib.sha256(token.encode()).hexdigest(), token[:12], user, stamp(now)))
        head = connection.execute("SELECT COALESCE(MAX(chain_seq), 0) FROM activity_events WHERE partner_id = ?",
                                  (partner,)).fetchone()[0]
        prepared.append({"partner": partner, "session": session, "token": token, "email": email, "head": head})
    connection.commit()
    print(json.dumps(prepared))


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0


def metric(url, name):
    if not url:
        return None
    for line in urllib.request.urlopen(url).read().decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def stream(host, port, prepared, period, arrivals, ready):
    reader, writer = await asyncio.open_connection(host, port)
    query = f"from={period[0]}&to={period[1]}&after={prepared['head']}"
    writer.write((f"GET /account-settings/activity-log/live?{query} HTTP/1.1\r\nHost: {host}\r\n"
                  f"Cookie: activity_log_session={prepared['session']}\r\nAccept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    ready.append(1)
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"data: {") and b'"rows"' in line:
            now = time.time()
            for row in json.loads(line[6:])["rows"]:
                arrivals.append((row[1], now))


async def run(url, pid, prepared, pages, seconds, metrics_url):
    host, port = url.split("//")[1].split(":")
    now = datetime.datetime.now(datetime.timezone.utc)
    period = ((now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              (now + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    arrivals, stored, ready = [], {}, []
    tasks = [asyncio.create_task(stream(host, int(port), prepared[n % len(prepared)], period, arrivals, ready))
             for n in range(pages)]
    while len(ready) < pages:
        await asyncio.sleep(0.1)
    await asyncio.sleep(3)
    loop = asyncio.get_running_loop()

    def store(partner, n):
        # At a random moment of the second: the time to show then averages over the phase of
        # the server's once-a-second look, instead of measuring one fixed phase.
        time.sleep(random.random() * 0.9)
        event_id = f"live-bench-{partner['partner']}-{n}-{secrets.token_hex(4)}"
        body = json.dumps({"events": [{
            "id": event_id, "occurred_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "partner_user": partner["email"], "action": "reset_user_password",
            "details": {"type": "password_reset", "user_principal_name": "someone@bench.example"}}]}).encode()
        request = urllib.request.Request(f"{url}/api/v1/events", data=body, method="POST", headers={
            "Authorization": f"Bearer {partner['token']}", "Content-Type": "application/json"})
        urllib.request.urlopen(request).read()
        stored[event_id] = time.time()

    cpu_before, looks_before, started = cpu_seconds(pid), metric(metrics_url, "alog_live_chain_head_queries_total"), time.time()
    for second in range(seconds):
        await asyncio.gather(*(loop.run_in_executor(None, store, partner, second) for partner in prepared))
        await asyncio.sleep(max(0.0, started + second + 1 - time.time()))
    elapsed = time.time() - started
    cpu_after, looks_after = cpu_seconds(pid), metric(metrics_url, "alog_live_chain_head_queries_total")
    await asyncio.sleep(3)
    for task in tasks:
        task.cancel()
    latencies = sorted(at - stored[event] for event, at in arrivals if event in stored)
    pages_per_partner = pages / len(prepared)
    expected = round(len(stored) * pages_per_partner)
    result = {
        "pages": pages, "partners": len(prepared), "seconds": round(elapsed, 1),
        "server_cpu_share_of_one_core": round((cpu_after - cpu_before) / elapsed, 4),
        "chain_head_lookups_per_second": None if looks_before is None else round((looks_after - looks_before) / elapsed, 2),
        "events_stored": len(stored), "arrivals": len(latencies), "arrivals_expected": expected,
        "stored_to_shown_median_s": round(statistics.median(latencies), 3) if latencies else None,
        "stored_to_shown_p99_s": round(latencies[int(len(latencies) * 0.99) - 1], 3) if latencies else None,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], int(sys.argv[3]))
    else:
        url, pid, prepared, pages, seconds = sys.argv[2], int(sys.argv[3]), json.loads(open(sys.argv[4]).read()), int(sys.argv[5]), int(sys.argv[6])
        asyncio.run(run(url, pid, prepared, pages, seconds, sys.argv[7] if len(sys.argv) > 7 else None))
