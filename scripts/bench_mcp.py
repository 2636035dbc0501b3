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
  bench_mcp.py soak AIFS ROOT BIGFILE MINUTES OUT
                                              repeated 1 GB searches and small reads through
                                              one server; its resident memory sampled every
                                              second into OUT/soak.csv (and soak.png)
"""
import json, os, random, statistics, subprocess, sys, threading, time


class Server:
    def __init__(self, aifs, root):
        self.process = subprocess.Popen(
            [aifs, "serve", "--root", root], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
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


if __name__ == "__main__":
    if sys.argv[1] == "roundtrip":
        roundtrip(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 5)
    elif sys.argv[1] == "soak":
        soak(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6])
    else:
        sys.exit(__doc__)
