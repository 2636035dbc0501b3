#!/usr/bin/env python3
"""Drives `aifs serve` over stdio with raw newline-delimited JSON-RPC (no SDK: its
client transport polls, which would hide the server's own latency).

usage:
  bench_mcp.py roundtrip AIFS ROOT OUT        1,000 read_file calls of a small file (cached
                                              after the first), p50/p99; search_content
                                              through MCP against `aifs search` on ROOT
  bench_mcp.py load AIFS ROOT OUT [RUNS]       every file under ROOT (10,000 in the batch corpus)
                                              read with read_file, all requests sent at once
                                              without waiting for answers; time until the
                                              last answer, peak threads and resident memory
                                              of the server, its CPU time; median of RUNS
                                              (default 5) fresh servers, into OUT/mcp-load.json
  bench_mcp.py mixed AIFS ROOT OUT [SECONDS] [RUNS] [KINDS]
                                              bursts of 200 calls sent at once (read_file,
                                              search_content, directory_tree, batch_operations,
                                              get_file_info on random places of ROOT, seeded),
                                              the next burst when all are answered, for SECONDS
                                              (default 120, at most 100,000 calls); the server's
                                              resident memory sampled every 50 ms: peak (VmHWM),
                                              at the end of the load, and 5 s after it; median of
                                              RUNS (default 3) fresh servers, into OUT/mcp-mixed.json.
                                              KINDS (default read,search,tree,batch,info) picks the
                                              calls, e.g. read,info for reads alone
  bench_mcp.py protocol AIFS ROOT OUT
                                              the agent protocol's costs (issue 19): tools/list
                                              bytes; a search page and a read as wire bytes and
                                              text-block bytes against `rg --sort path` and
                                              `cat -n` of the same lines; changes_since after 1,
                                              100 and 10,000 changes in a scratch copy; apply_patch
                                              of a 50-file patch; into OUT/mcp-protocol.json
  bench_mcp.py index AIFS ROOT OUT [RUNS] [NAME]
                                              the live index (issue 17) on ROOT: `aifs index`
                                              build time, memory and disk size against the
                                              indexed bytes; search_content round trips (RUNS
                                              each, default 30) of selective, regex, case-
                                              insensitive and broad queries with the index, with
                                              --no-index and by `rg -c` in the same run, p50/p99;
                                              write-to-searchable lag; restart-to-ready; into
                                              OUT/index-NAME.json and OUT/index-NAME.md
  bench_mcp.py soak AIFS ROOT BIGFILE MINUTES OUT
                                              repeated 1 GB searches and small reads through
                                              one server; its resident memory sampled every
                                              second into OUT/soak.csv (and soak.png)
"""
import atexit, json, os, random, shutil, statistics, subprocess, sys, tempfile, threading, time

# The servers save their live index under XDG_CACHE_HOME: a directory of this run's own,
# removed at exit, so benchmarks never fill the user's ~/.cache (`index` passes its own).
BENCH_CACHE = tempfile.mkdtemp(prefix="aifs-bench-cache-")
atexit.register(shutil.rmtree, BENCH_CACHE, True)


class Server:
    def __init__(self, aifs, root, extra=(), env=None):
        self.process = subprocess.Popen(
            [aifs, "serve", "--root", root, *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env or dict(os.environ, XDG_CACHE_HOME=BENCH_CACHE))
        self.next_id = 0
        self.request("initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"}})
        self.notify("notifications/initialized")

    def send(self, message):
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def notify(self, method, params=None):
        self.send({"jsonrpc": "2.0", "method": method, **({"params": params} if params else {})})

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("server closed its output")
            message = json.loads(line)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message["result"]

    def call(self, tool, arguments):
        result = self.request("tools/call", {"name": tool, "arguments": arguments})
        if result.get("isError"):
            raise RuntimeError(result["content"][0]["text"])
        return result

    def resident_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def close(self):
        self.process.stdin.close()
        return self.process.wait(timeout=30)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def roundtrip(aifs, root, out):
    server = Server(aifs, root)
    small = os.path.join(root, "bench-roundtrip.txt")
    with open(small, "w") as file:
        file.write("a small file read through the content cache\n" * 20)
    time.sleep(0.1)  # let the file settle past the racy window, so hits are cache hits
    for _ in range(50):
        server.call("read_file", {"path": "bench-roundtrip.txt"})
    times = []
    for _ in range(1000):
        start = time.perf_counter()
        server.call("read_file", {"path": "bench-roundtrip.txt"})
        times.append((time.perf_counter() - start) * 1000)
    stats = server.call("get_filesystem_stats", {})["structuredContent"]["cache"]
    # search_content through MCP against the CLI on the same tree and pattern.
    pattern = "FileManager"
    mcp_times, cli_times = [], []
    for _ in range(7):
        start = time.perf_counter()
        server.call("search_content", {"pattern": pattern, "literal": True, "maxResults": 50})
        mcp_times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        subprocess.run([aifs, "search", "-F", "-m", "50", "-c", pattern, root],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cli_times.append((time.perf_counter() - start) * 1000)
    server.close()
    os.remove(small)
    report = {
        "read_file_p50_ms": statistics.median(times), "read_file_p99_ms": percentile(times, 0.99),
        "cache_hits": stats["hits"], "cache_misses": stats["misses"],
        "search_mcp_median_ms": statistics.median(mcp_times), "search_cli_median_ms": statistics.median(cli_times),
    }
    with open(os.path.join(out, "mcp-roundtrip.json"), "w") as file:
        json.dump(report, file, indent=2)
    print(json.dumps(report))


def load_once(aifs, root, files):
    server = Server(aifs, root)
    peak = {"threads": 0, "rss": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                with open(f"/proc/{server.process.pid}/status") as status:
                    for line in status:
                        if line.startswith("Threads:"):
                            peak["threads"] = max(peak["threads"], int(line.split()[1]))
                        elif line.startswith("VmRSS:"):
                            peak["rss"] = max(peak["rss"], int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.002)

    def write_all():
        for index, path in enumerate(files):
            server.process.stdin.write((json.dumps({
                "jsonrpc": "2.0", "id": 1000 + index, "method": "tools/call",
                "params": {"name": "read_file", "arguments": {"path": path}}}) + "\n").encode())
        server.process.stdin.flush()

    threading.Thread(target=sample, daemon=True).start()
    start = time.perf_counter()
    writer = threading.Thread(target=write_all)
    writer.start()
    answered, failed = set(), 0
    while len(answered) < len(files):
        line = server.process.stdout.readline()
        if not line:
            raise RuntimeError("server closed its output after %d answers" % len(answered))
        message = json.loads(line)
        if message.get("id", 0) < 1000:
            continue
        answered.add(message["id"])
        if "error" in message or message["result"].get("isError"):
            failed += 1
    seconds = time.perf_counter() - start
    done.set()
    writer.join()
    with open(f"/proc/{server.process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    server.close()
    return {"seconds": seconds, "failed": failed, "peak_threads": peak["threads"],
            "peak_rss_mib": peak["rss"] / 1024, "server_cpu_seconds": cpu}


def load(aifs, root, out, runs=5):
    files = sorted(os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names)
    samples = [load_once(aifs, root, files) for _ in range(runs)]
    report = {"reads": len(files), "runs": runs,
              "failed": sum(s["failed"] for s in samples), "samples": samples}
    for key in ("seconds", "peak_threads", "peak_rss_mib", "server_cpu_seconds"):
        report["median_" + key] = statistics.median(s[key] for s in samples)
    with open(os.path.join(out, "mcp-load.json"), "w") as file:
        json.dump(report, file, indent=2)
    print("%d read_file calls sent at once, %d fresh server(s): all answered in %.2f s (median), "
          "server CPU %.2f s, peak %d threads and %.0f MiB resident; %d failed" % (
              len(files), runs, report["median_seconds"], report["median_server_cpu_seconds"],
              report["median_peak_threads"], report["median_peak_rss_mib"], report["failed"]))


MIXED_BURST = 200
MIXED_MAX_CALLS = 100_000
# Out of each burst of 200: how many calls of each kind (when the kind is chosen).
MIXED_SHARES = {"read": 130, "search": 20, "tree": 20, "batch": 10, "info": 20}
MIXED_PATTERNS = [("FileManager", True), ("TODO", True), ("func \\w+\\(", False), ("import Foundation", True),
                  ("struct [A-Z]\\w*", False), ("zqxjkv-never-there", True), ("(?i)error", False), ("public", True)]


def mixed_once(aifs, root, files, directories, seconds, kinds, seed):
    """One fresh server under bursts of MIXED_BURST calls; returns its figures."""
    server = Server(aifs, root)
    pid = server.process.pid
    samples = []  # (seconds since start, VmRSS KiB, threads)
    done = threading.Event()

    def status():
        values = {}
        with open(f"/proc/{pid}/status") as file:
            for line in file:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    values[key] = int(rest.split()[0])
        return values

    def sample():
        start = time.monotonic()
        while not done.is_set():
            try:
                values = status()
                samples.append((time.monotonic() - start, values["VmRSS"], values["Threads"]))
            except (OSError, KeyError):
                pass
            done.wait(0.05)

    rng = random.Random(seed)
    shares = {kind: count for kind, count in MIXED_SHARES.items() if kind in kinds}
    scale = MIXED_BURST / sum(shares.values())
    plan = []
    for kind, count in shares.items():
        plan += [kind] * max(1, round(count * scale))
    plan = plan[:MIXED_BURST]

    def arguments(kind):
        if kind == "read":
            return "read_file", {"path": rng.choice(files)}
        if kind == "info":
            return "get_file_info", {"path": rng.choice(files)}
        if kind == "search":
            pattern, literal = rng.choice(MIXED_PATTERNS)
            return "search_content", {"pattern": pattern, "literal": literal, "path": rng.choice(directories), "maxResults": 100}
        if kind == "tree":
            return "directory_tree", {"path": rng.choice(directories), "maxDepth": 6, "maxEntries": 2000}
        return "batch_operations", {"operation": rng.choice(["count", "hash", "stat"]), "paths": [rng.choice(directories)], "maxResults": 200}

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    counts = {kind: 0 for kind in shares}
    calls = failed = 0
    failures = {}  # the start of each error message, counted
    next_id = 1000
    start = time.monotonic()
    while time.monotonic() - start < seconds and calls + len(plan) <= MIXED_MAX_CALLS:
        burst = plan[:]
        rng.shuffle(burst)
        lines = []
        for kind in burst:
            name, values = arguments(kind)
            next_id += 1
            lines.append(json.dumps({"jsonrpc": "2.0", "id": next_id, "method": "tools/call",
                                     "params": {"name": name, "arguments": values}}))
            counts[kind] += 1
        server.process.stdin.write(("\n".join(lines) + "\n").encode())
        server.process.stdin.flush()
        waiting = len(burst)
        while waiting:
            line = server.process.stdout.readline()
            if not line:
                raise RuntimeError("server closed its output after %d calls" % calls)
            message = json.loads(line)
            if message.get("id", 0) <= 1000:
                continue
            waiting -= 1
            calls += 1
            if "error" in message or message["result"].get("isError"):
                failed += 1
                text = str(message.get("error") or message["result"]["content"][0]["text"])
                failures[text[:60]] = failures.get(text[:60], 0) + 1
    load_seconds = time.monotonic() - start
    end_rss = status()["VmRSS"]
    done.wait(5.0)
    settled = status()
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    figures = server.call("get_filesystem_stats", {})["structuredContent"]
    cache_mib = figures["cache"]["bytes"] / 1048576
    done.set()
    sampler.join()
    server.close()
    load_samples = [kib for t, kib, _ in samples if t <= load_seconds]
    last_ten = [kib for t, kib, _ in samples if load_seconds - 10 <= t <= load_seconds]
    return {"calls": calls, "failed": failed, "seconds": load_seconds, "calls_by_kind": counts,
            "failures": dict(sorted(failures.items(), key=lambda item: -item[1])[:5]),
            "peak_rss_mib": settled["VmHWM"] / 1024, "end_rss_mib": end_rss / 1024,
            "last_10s_median_rss_mib": statistics.median(last_ten or load_samples or [end_rss]) / 1024,
            "settled_rss_mib": settled["VmRSS"] / 1024, "peak_threads": max((n for _, _, n in samples), default=0),
            "cache_mib": cache_mib, "server_cpu_seconds": cpu, "cache_entries": figures["cache"]["entries"],
            "monitor_pressure_events": figures["memory"]["pressureEvents"]}


def mixed(aifs, root, out, seconds=120.0, runs=3, kinds="read,search,tree,batch,info"):
    kinds = set(kinds.split(","))
    files, directories = [], []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        relative = os.path.relpath(directory, root)
        if relative != "." and relative.count("/") <= 2:
            directories.append(relative)
        files += [os.path.join(relative, n) for n in names if not n.startswith(".")]
    files.sort()
    directories.sort()
    samples = [mixed_once(aifs, root, files, directories, seconds, kinds, seed=7 + run) for run in range(runs)]
    report = {"kinds": sorted(kinds), "burst": MIXED_BURST, "runs": runs, "samples": samples}
    for key in ("calls", "failed", "peak_rss_mib", "end_rss_mib", "last_10s_median_rss_mib", "settled_rss_mib", "peak_threads",
                "cache_mib", "server_cpu_seconds"):
        report["median_" + key] = statistics.median(s[key] for s in samples)
    with open(os.path.join(out, "mcp-mixed.json"), "w") as file:
        json.dump(report, file, indent=2)
    print("mixed load (%s), bursts of %d, %d fresh server(s): %d calls (median), %d failed; resident memory: "
          "peak %.0f MiB, last 10 s of load %.0f MiB, 5 s after %.0f MiB (content cache %.0f MiB); peak %d threads; server CPU %.1f s" % (
              ",".join(sorted(kinds)), MIXED_BURST, runs, report["median_calls"], report["median_failed"],
              report["median_peak_rss_mib"], report["median_last_10s_median_rss_mib"], report["median_settled_rss_mib"],
              report["median_cache_mib"], report["median_peak_threads"], report["median_server_cpu_seconds"]))



INDEX_QUERIES = [
    # (class, name, search_content arguments, rg arguments)
    ("selective literal", "HdrHistogram", {"pattern": "HdrHistogram"}, ["HdrHistogram"]),
    ("selective literal", "NIOSSLHandler", {"pattern": "NIOSSLHandler"}, ["NIOSSLHandler"]),
    ("regex with literal", "func\\s+encode\\(to", {"pattern": "func\\s+encode\\(to"}, ["func\\s+encode\\(to"]),
    ("case-insensitive", "-i filemanager", {"pattern": "filemanager", "caseMode": "insensitive"}, ["-i", "filemanager"]),
    ("broad", "return", {"pattern": "return"}, ["return"]),
    ("broad", "\\w+[0-9]{3}", {"pattern": "\\w+[0-9]{3}"}, ["\\w+[0-9]{3}"]),
]


def wait_ready(server, deadline_s=600):
    started = time.perf_counter()
    while time.perf_counter() - started < deadline_s:
        index = server.call("get_filesystem_stats", {})["structuredContent"]["index"]
        if index["state"] != "building":
            return index, time.perf_counter() - started
    raise RuntimeError("the index did not get ready")


def index_bench(aifs, root, out, runs=30, name="tree"):
    out = os.path.abspath(out)
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(out, "xdg-cache-" + name))
    cache = os.path.join(env["XDG_CACHE_HOME"], "aifs", "index")
    result = {"root": root, "runs": runs, "queries": []}
    # Build: `aifs index` from nothing, three times; the median.
    builds = []
    for _ in range(3):
        subprocess.run(["rm", "-rf", cache], check=True)
        started = time.perf_counter()
        line = subprocess.run([aifs, "index", root, "--cache-dir", cache], check=True, capture_output=True, text=True).stdout
        wall = time.perf_counter() - started
        figures = json.loads(line)
        figures["wall_s"] = wall
        builds.append(figures)
    build = sorted(builds, key=lambda b: b["wall_s"])[1]
    result["build"] = build
    # A server with the saved index (restart-to-ready), one without.
    started = time.perf_counter()
    indexed = Server(aifs, root, env=env)
    ready, _ = wait_ready(indexed)
    result["restart_to_ready_s"] = time.perf_counter() - started
    result["restart_reason"] = ready.get("reason")
    scanning = Server(aifs, root, ["--no-index"], env=env)
    for cls, label, arguments, rg_arguments in INDEX_QUERIES:
        times = {"index": [], "scan": [], "rg": []}
        used, candidates, matches = None, None, None
        for run in range(runs):
            for kind, server in (("index", indexed), ("scan", scanning)):
                t0 = time.perf_counter()
                answer = server.call("search_content", dict(arguments, path=root))["structuredContent"]
                times[kind].append((time.perf_counter() - t0) * 1000)
                if kind == "index":
                    used, candidates, matches = answer["stats"]["usedIndex"], answer["stats"]["candidates"], answer["stats"]["totalMatches"]
                elif matches is not None and answer["stats"]["totalMatches"] != matches:
                    raise RuntimeError(f"{label}: the index found {matches} lines, the scan {answer['stats']['totalMatches']}")
            t0 = time.perf_counter()
            subprocess.run(["rg", "-c", *rg_arguments, root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times["rg"].append((time.perf_counter() - t0) * 1000)
        row = {"class": cls, "query": label, "usedIndex": used, "candidates": candidates, "matches": matches}
        for kind, values in times.items():
            row[kind + "_p50_ms"] = statistics.median(values)
            row[kind + "_p99_ms"] = percentile(values, 0.99)
        result["queries"].append(row)
    # Write, then search at once: the time from the write to an answer that has it.
    lags = []
    try:
        for trial in range(20):
            token = f"lagtoken{trial}x{random.randrange(1 << 30)}"
            t0 = time.perf_counter()
            with open(os.path.join(root, f"aifs-bench-lag-{trial}.txt"), "w") as f:
                f.write(token + "\n")
            answer = indexed.call("search_content", {"pattern": token, "path": root})["structuredContent"]
            lags.append((time.perf_counter() - t0) * 1000)
            if answer["stats"]["totalMatches"] != 1:
                raise RuntimeError("a write was not in the next answer")
    finally:
        for trial in range(20):
            try:
                os.remove(os.path.join(root, f"aifs-bench-lag-{trial}.txt"))
            except FileNotFoundError:
                pass
    result["write_to_answer_p50_ms"] = statistics.median(lags)
    result["write_to_answer_max_ms"] = max(lags)
    stats = indexed.call("get_filesystem_stats", {})["structuredContent"]
    result["server_index"] = stats["index"]
    result["server_resident_kib"] = indexed.resident_kib()
    indexed.close()
    scanning.close()
    # Start from nothing in the server (no saved index): time to ready.
    subprocess.run(["rm", "-rf", cache], check=True)
    started = time.perf_counter()
    cold = Server(aifs, root, env=env)
    wait_ready(cold)
    result["cold_start_to_ready_s"] = time.perf_counter() - started
    cold.close()
    with open(os.path.join(out, f"index-{name}.json"), "w") as f:
        json.dump(result, f, indent=2)
    b = result["build"]
    lines = [
        f"{b['files']:,} files, {b['bytes'] / 1e6:.0f} MB indexed: `aifs index` {b['buildSeconds']:.2f} s to build "
        f"({b['wall_s']:.2f} s wall, process included); index memory {b['memoryBytes'] / 1e6:.1f} MB "
        f"({100 * b['memoryBytes'] / max(1, b['bytes']):.1f}% of the indexed bytes), on disk {b['diskBytes'] / 1e6:.1f} MB; "
        f"server restart to ready {result['restart_to_ready_s']:.2f} s (saved index), cold start to ready "
        f"{result['cold_start_to_ready_s']:.2f} s; write to an answer holding it: p50 {result['write_to_answer_p50_ms']:.1f} ms "
        f"(max {result['write_to_answer_max_ms']:.1f} ms); server resident {result['server_resident_kib'] / 1024:.0f} MiB.",
        "",
        "| class | query | matching lines | candidates | index p50 / p99 | --no-index p50 / p99 | rg -c p50 / p99 | scan / index | rg / index |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in result["queries"]:
        lines.append(
            f"| {r['class']} | `{r['query']}` | {r['matches']} | {r['candidates']} | {r['index_p50_ms']:.1f} / {r['index_p99_ms']:.1f} ms | "
            f"{r['scan_p50_ms']:.1f} / {r['scan_p99_ms']:.1f} ms | {r['rg_p50_ms']:.1f} / {r['rg_p99_ms']:.1f} ms | "
            f"{r['scan_p50_ms'] / r['index_p50_ms']:.2f}x | {r['rg_p50_ms'] / r['index_p50_ms']:.2f}x |")
    with open(os.path.join(out, f"index-{name}.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def soak(aifs, root, big, minutes, out):
    server = Server(aifs, root)
    samples = []
    done = threading.Event()

    def sample():
        start = time.monotonic()
        while not done.is_set():
            samples.append((time.monotonic() - start, server.resident_kib()))
            done.wait(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    relative_big = os.path.relpath(big, root)
    small_files = []
    for directory, _, files in os.walk(root):
        for name in files:
            if name.endswith(".swift"):
                small_files.append(os.path.relpath(os.path.join(directory, name), root))
        if len(small_files) > 2000:
            break
    rng = random.Random(7)
    searches = reads = 0
    deadline = time.monotonic() + minutes * 60
    while time.monotonic() < deadline:
        # A literal that never occurs: the whole 1 GB file is read every time.
        server.call("search_content", {"pattern": "zqxjkv-never-there", "literal": True, "path": relative_big})
        searches += 1
        for _ in range(200):
            server.call("read_file", {"path": rng.choice(small_files)})
            reads += 1
        server.call("read_file", {"path": relative_big, "tail": 20})
        server.call("get_filesystem_stats", {})
    done.set()
    sampler.join()
    server.close()
    with open(os.path.join(out, "soak.csv"), "w") as file:
        file.write("seconds,rss_kib\n")
        for seconds, kib in samples:
            file.write(f"{seconds:.1f},{kib}\n")
    # Growth: the last minute's median against the first minute's after warm-up.
    warm = [kib for seconds, kib in samples if 10 <= seconds < 70] or [samples[0][1]]
    last = [kib for seconds, kib in samples if seconds >= samples[-1][0] - 60] or [samples[-1][1]]
    report = {
        "minutes": minutes, "searches_of_1gb": searches, "small_reads": reads,
        "rss_start_mib": statistics.median(warm) / 1024, "rss_end_mib": statistics.median(last) / 1024,
        "rss_peak_mib": max(kib for _, kib in samples) / 1024,
        "growth_mib": (statistics.median(last) - statistics.median(warm)) / 1024,
    }
    with open(os.path.join(out, "soak.json"), "w") as file:
        json.dump(report, file, indent=2)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plot
        figure, axes = plot.subplots(figsize=(8, 3.5))
        axes.plot([s / 60 for s, _ in samples], [k / 1024 for _, k in samples], linewidth=1)
        axes.set_xlabel("minutes")
        axes.set_ylabel("resident memory (MiB)")
        axes.set_ylim(bottom=0)
        axes.set_title(f"aifs serve: {searches} searches of 1 GiB and {reads} reads in {minutes} min")
        figure.tight_layout()
        figure.savefig(os.path.join(out, "soak.png"), dpi=100)
    except ImportError:
        print("bench: matplotlib is missing (pip install matplotlib): no soak.png", file=sys.stderr)
    print(json.dumps(report))


def protocol(aifs, root, out):
    """The agent protocol's costs (issue 19), on ROOT (read only) and on a scratch tree."""
    import shutil, tempfile
    results = {}
    server = Server(aifs, root)
    # tools/list as written on the wire.
    server.next_id += 1
    server.send({"jsonrpc": "2.0", "id": server.next_id, "method": "tools/list", "params": {}})
    results["tools_list_bytes"] = len(server.process.stdout.readline())

    def wire(tool, arguments):
        server.next_id += 1
        server.send({"jsonrpc": "2.0", "id": server.next_id, "method": "tools/call",
                     "params": {"name": tool, "arguments": arguments}})
        line = server.process.stdout.readline()
        message = json.loads(line)
        text = message["result"]["content"][0]["text"]
        return len(line), len(text.encode()), message["result"]

    # A search page of 100 lines, against rg's output of the same first 100 lines.
    size, text, result = wire("search_content", {"pattern": "func", "literal": True, "maxResults": 100})
    rg = subprocess.run(["rg", "-n", "--no-heading", "--sort", "path", "-F", "func", "."], cwd=root,
                        capture_output=True).stdout.split(b"\n")[:100]
    results["search_page"] = {"wire_bytes": size, "text_bytes": text,
                              "rg_bytes_same_lines": sum(len(line) + 1 for line in rg)}
    # A read of a file's first 200 lines, against `cat -n` of them.
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".swift")]
    target = max(files, key=os.path.getsize)
    relative = os.path.relpath(target, root)
    size, text, _ = wire("read_file", {"path": relative, "head": 200})
    size_n, text_n, _ = wire("read_file", {"path": relative, "head": 200, "lineNumbers": True})
    cat = subprocess.run(["sh", "-c", f"head -n 200 '{target}' | cat -n"], capture_output=True).stdout
    results["read_200_lines"] = {"wire_bytes": size, "text_bytes": text, "wire_bytes_numbered": size_n,
                                 "text_bytes_numbered": text_n, "cat_n_bytes": len(cat), "file": relative}
    server.close()

    # changes_since and apply_patch on a scratch tree of its own.
    scratch = tempfile.mkdtemp(prefix="aifs-bench-protocol-")
    try:
        os.makedirs(os.path.join(scratch, "tree"))
        server = Server(aifs, scratch)
        results["changes_since_ms"] = {}
        for count in (1, 100, 10000):
            clock = server.call("get_clock", {})["structuredContent"]["clock"]
            directory = os.path.join(scratch, "tree", f"c{count}")
            os.makedirs(directory)
            for index in range(count):
                with open(os.path.join(directory, f"f{index}.txt"), "w") as file:
                    file.write(f"{index}\n")
            start = time.perf_counter()
            answer = server.call("changes_since", {"clock": clock, "limit": 5000})
            elapsed = (time.perf_counter() - start) * 1000
            listed = len(answer["structuredContent"]["changes"])
            results["changes_since_ms"][str(count)] = {"ms": round(elapsed, 2), "listed_first_page": listed}
        # A 50-file patch.
        patch_dir = os.path.join(scratch, "patch")
        os.makedirs(patch_dir)
        lines = ["*** Begin Patch"]
        for index in range(50):
            with open(os.path.join(patch_dir, f"p{index}.txt"), "w") as file:
                file.write("".join(f"line {n}\n" for n in range(100)))
            lines += [f"*** Update File: patch/p{index}.txt", "@@", " line 49", "-line 50", "+line fifty", " line 51"]
        lines.append("*** End Patch")
        times = []
        for attempt in range(5):
            text = "\n".join(lines).replace("line fifty", f"line fifty {attempt}") if attempt else "\n".join(lines)
            if attempt:
                text = text.replace("-line 50", f"-line fifty {attempt - 1}" if attempt > 1 else "-line fifty")
            start = time.perf_counter()
            server.call("apply_patch", {"patch": text})
            times.append((time.perf_counter() - start) * 1000)
        results["apply_patch_50_files_ms"] = {"median": round(statistics.median(times), 2), "runs": [round(t, 2) for t in times]}
        server.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "mcp-protocol.json"), "w") as file:
        json.dump(results, file, indent=2)
    print(json.dumps(results))


if __name__ == "__main__":
    if sys.argv[1] == "roundtrip":
        roundtrip(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 5)
    elif sys.argv[1] == "mixed":
        mixed(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]) if len(sys.argv) > 5 else 120.0,
              int(sys.argv[6]) if len(sys.argv) > 6 else 3, sys.argv[7] if len(sys.argv) > 7 else "read,search,tree,batch,info")
    elif sys.argv[1] == "protocol":
        protocol(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "index":
        index_bench(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 30,
                    sys.argv[6] if len(sys.argv) > 6 else "tree")
    elif sys.argv[1] == "soak":
        soak(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6])
    else:
        sys.exit(__doc__)
