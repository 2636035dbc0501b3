#!/usr/bin/env python3
"""The summary of the benchmark runs, and the check of `scripts/bench --quick`.

usage:
  bench_report.py check RUN_DIR MODE      exits 1 unless MODE's outputs are in RUN_DIR,
                                          non-empty and well-formed (every command ran and
                                          wrote something; no figure is judged)
  bench_report.py summary [--run RUN_DIR] [--write BENCHMARKS.md]
                                          one row per row of the performance table of the
                                          SPEC, each from the newest run directory under
                                          bench/runs/ holding that mode's outputs (or from
                                          RUN_DIR alone); printed, and with --write put
                                          between the summary markers of BENCHMARKS.md

A row whose data is missing says so; nothing is estimated.
"""
import csv, glob, json, os, re, statistics, sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- summary:begin (scripts/bench report) -->", "<!-- summary:end -->"


def load_json(path):
    with open(path) as f:
        return json.load(f)


# ---------------------------------------------------------------- check

def nonempty(run, name):
    path = os.path.join(run, name)
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        raise AssertionError("%s is missing or empty" % name)
    return path


def hyperfine_ran(run, name):
    results = load_json(nonempty(run, name))["results"]
    assert results, "%s has no results" % name
    for r in results:
        assert r["times"], "%s: %s has no timings" % (name, r["command"])
        assert all(code == 0 for code in r.get("exit_codes", [0])), "%s: %s failed" % (name, r["command"])


def table(run, name):
    assert "|" in open(nonempty(run, name)).read(), "%s has no table" % name


def have_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        return False


def check(run, mode):
    if mode == "files":
        hyperfine_ran(run, "files.json")
        nonempty(run, "files.csv")
        table(run, "files.md")
    elif mode == "search":
        for i in range(4):
            hyperfine_ran(run, "search-big-%d.json" % i)
            hyperfine_ran(run, "search-tree-%d.json" % i)
        rows = open(nonempty(run, "search-memory.txt")).read().split("\n")
        assert len([r for r in rows if r.count("|") == 7]) == 4, "search-memory.txt lacks a query"
        table(run, "search.md")
    elif mode == "watch":
        w = load_json(nonempty(run, "watch.json"))
        for tool in ("aifs", "inotifywait"):
            assert w["latency_us"][tool]["n"] > 0, "no %s latency samples" % tool
            assert tool in w["idle_cpu_percent"], "no %s idle CPU" % tool
        assert w["startup_100k"]["aifs_ready_s"] > 0, "no aifs start-up time"
        if "watchfiles_setup_s" not in w["startup_100k"]:
            print("bench: note: watchfiles is not installed; its start-up figure is missing", file=sys.stderr)
        assert w["burst"]["aifs_add_events"] > 0, "no burst events"
        table(run, "watch.md")
    elif mode == "cache":
        nonempty(run, "cache-hit-rate.txt")
        nonempty(run, "cache-micro.md")
        m = load_json(nonempty(run, "mcp-roundtrip.json"))
        assert m["read_file_p50_ms"] > 0 and m["search_mcp_median_ms"] > 0, "no MCP round trip figures"
    elif mode == "micro":
        nonempty(run, "micro.md")
    elif mode == "soak":
        assert len(open(nonempty(run, "soak.csv")).read().splitlines()) > 2, "soak.csv has no samples"
        s = load_json(nonempty(run, "soak.json"))
        assert s["searches_of_1gb"] > 0 and s["small_reads"] > 0, "the soak made no calls"
        if have_matplotlib():
            nonempty(run, "soak.png")
    elif mode == "scaling":
        for curve in ("filesize", "filecount", "watch"):
            assert len(open(nonempty(run, "scaling-%s.csv" % curve)).read().splitlines()) > 1, "scaling-%s.csv is empty" % curve
            table(run, "scaling-%s.md" % curve)
            if have_matplotlib():
                nonempty(run, "scaling-%s.png" % curve)
    elif mode == "batch":
        samples = load_json(nonempty(run, "batch.json"))
        assert len(samples) == 8, "batch.json lacks a command"
        for name, sample in samples.items():
            assert sample["wall"], "batch.json: %s has no timings" % name
            assert not name.startswith("aifs") or sample["phase"], "batch.json: %s has no work phase" % name
        nonempty(run, "batch.csv")
        table(run, "batch.md")
    elif mode == "index":
        i = load_json(nonempty(run, "index-tree.json"))
        assert i["build"]["files"] > 0 and i["build"]["state"] == "ready", "index-tree.json: no index was built"
        assert len(i["queries"]) == 6 and all(q["usedIndex"] for q in i["queries"]), "index-tree.json: a query did not use the index"
        table(run, "index-tree.md")
    else:
        raise AssertionError("no check for mode %s" % mode)


# ---------------------------------------------------------------- summary

class Runs:
    """The run directories, newest first (quick runs excluded); each file is taken from
    the newest directory that has it."""

    def __init__(self, only=None):
        if only:
            self.dirs = [only]
        else:
            dirs = [d for d in glob.glob(os.path.join(REPO, "bench", "runs", "*")) if os.path.isdir(d)
                    and not os.path.basename(d).startswith("quick-")]
            self.dirs = sorted(dirs, key=lambda d: os.path.basename(d)[:10], reverse=True)

    def find(self, *names):
        """The newest directory holding every one of `names`, or None."""
        for d in self.dirs:
            if all(os.path.isfile(os.path.join(d, n)) and os.path.getsize(os.path.join(d, n)) for n in names):
                return d
        return None


def notes_path(run, mode):
    path = os.path.join(run, mode + ".machine.txt")
    return path if os.path.isfile(path) else os.path.join(run, "machine.txt")


def machine(run, mode):
    notes = {}
    path = notes_path(run, mode)
    if os.path.isfile(path):
        for line in open(path):
            key, _, value = line.partition(": ")
            notes[key] = value.strip()
    cpu = notes.get("cpu", "?").replace(" available)", " cores)")
    name = os.path.basename(run)
    host = name[len("quick-"):] if name.startswith("quick-") else name[11:]
    return "%s (%s, %s), commit %s" % (host or "?", cpu, notes.get("memory", "? GiB"), notes.get("commit", "?"))


def when(run, mode):
    path = notes_path(run, mode)
    if os.path.isfile(path):
        for line in open(path):
            if line.startswith("date: "):
                return line[6:16]
    return os.path.basename(run)[:10]


def command(run, mode, default):
    path = os.path.join(run, mode + ".command")
    return "`%s`" % open(path).read().strip() if os.path.isfile(path) else "`%s` (not recorded; the mode's default)" % default


def hyperfine_medians(path):
    return {r["command"]: statistics.median(r["times"]) for r in load_json(path)["results"]}


def ms(seconds):
    return "%.0f ms" % (seconds * 1000) if seconds >= 0.1 else "%.1f ms" % (seconds * 1000)


def ratio(peer, ours):
    return "%.2fx" % (peer / ours) if ours and peer is not None else "—"


def row(what, target, run, mode, default, ours, peer, peer_ratio, note=""):
    return {"what": what, "aifs": ours, "peer": peer, "ratio": peer_ratio, "target": target,
            "machine": machine(run, mode), "date": when(run, mode), "command": command(run, mode, default), "note": note}


def missing(what, target, why):
    return {"what": what, "aifs": "no data", "peer": "—", "ratio": "—", "target": target, "machine": "—",
            "date": "—", "command": why, "note": ""}


def rows(runs):
    out = []
    # watch latency
    target = "10 ms p99, sub-ms p50"
    run = runs.find("watch.json")
    if run:
        l = load_json(os.path.join(run, "watch.json"))["latency_us"]
        a, i = l["aifs"], l["inotifywait"]
        out.append(row("watch latency", target, run, "watch", "scripts/bench watch",
                       "p50 %.1f µs, p99 %.0f µs" % (a["p50"], a["p99"]),
                       "inotifywait: p50 %.1f µs, p99 %.0f µs" % (i["p50"], i["p99"]),
                       "p50 %s, p99 %s" % (ratio(i["p50"], a["p50"]), ratio(i["p99"], a["p99"])),
                       "%d writes%s" % (a["n"], ", median of %d rounds' percentiles" % a["rounds"] if "rounds" in a else "")))
    else:
        out.append(missing("watch latency", target, "run `scripts/bench watch`"))
    # idle CPU
    target = "under 0.1%"
    if run:
        w = load_json(os.path.join(run, "watch.json"))
        c, seconds = w["idle_cpu_percent"], w.get("idle_seconds", "?")
        out.append(row("idle CPU, 1,000 files watched", target, run, "watch", "scripts/bench watch",
                       "%.3f%% over %s s" % (c["aifs"], seconds), "inotifywait: %.3f%%" % c["inotifywait"],
                       "— (both idle)" if c["aifs"] == 0 or c["inotifywait"] == 0 else ratio(c["inotifywait"], c["aifs"])))
    else:
        out.append(missing("idle CPU, 1,000 files watched", target, "run `scripts/bench watch`"))
    # 1 GB file
    run = runs.find("search-memory.txt", "search-big-0.json")
    if run:
        memory = [line.rstrip("\n").split("|") for line in open(os.path.join(run, "search-memory.txt")) if line.strip()]
        literal = memory[0]
        kib = {"aifs": int(literal[3]), "rg": int(literal[4]), "rg --no-mmap": int(literal[5]), "grep": int(literal[6])}
        out.append(row("1 GB file: peak memory", "under 50 MB", run, "search", "scripts/bench search",
                       "%.0f MiB" % (kib["aifs"] / 1024),
                       "rg --no-mmap: %.0f MiB; rg (mmap): %.0f MiB (the mapped file)" % (kib["rg --no-mmap"] / 1024, kib["rg"] / 1024),
                       "%s (rg --no-mmap)" % ratio(kib["rg --no-mmap"], kib["aifs"]),
                       "1 GiB file, literal `%s`, one run each%s" % (literal[2], scaling_note(runs, 1024))))
        t = {}
        for i in range(4):
            t[i] = hyperfine_medians(os.path.join(run, "search-big-%d.json" % i))
        lit = t[0]
        others = ", ".join("%s %s" % (memory[i][1], ratio(t[i]["rg"], t[i]["aifs"])) for i in range(1, 4) if i in t and i < len(memory))
        out.append(row("1 GB file: time", "at or near ripgrep on the same machine", run, "search", "scripts/bench search",
                       ms(lit["aifs"]), "rg (mmap): %s; rg --no-mmap: %s; GNU grep: %s" % (ms(lit["rg"]), ms(lit["rg --no-mmap"]), ms(lit["grep"])),
                       "rg %s, rg --no-mmap %s, grep %s" % (ratio(lit["rg"], lit["aifs"]), ratio(lit["rg --no-mmap"], lit["aifs"]), ratio(lit["grep"], lit["aifs"])),
                       "literal `%s`, median; rg (mmap) / aifs on the other queries: %s%s" % (
                           memory[0][2], others, scaling_time_note(runs, 1024))))
    else:
        out.append(missing("1 GB file: peak memory", "under 50 MB", "run `scripts/bench search`"))
        out.append(missing("1 GB file: time", "at or near ripgrep on the same machine", "run `scripts/bench search`"))
    # 10,000 files and 10,000 concurrent reads (the batch mode: per-run samples of wall
    # time, CPU time and, for aifs, the work phase, in interleaved rounds)
    run = runs.find("batch.json")
    if run:
        samples = load_json(os.path.join(run, "batch.json"))
        med = {name: {k: statistics.median(v) for k, v in s.items() if v} for name, s in samples.items()}
        n = max(int(m.group(1)) for m in (re.search(r"-j (\d+)$", c) for c in med) if m)
        rounds = len(samples["aifs batch hash -j 1"]["wall"])
        corpus = "?"
        if os.path.isfile(os.path.join(run, "batch.md")):
            corpus = open(os.path.join(run, "batch.md")).readline().split(";")[0].strip() or "?"
        one, many = med["aifs batch hash -j 1"]["wall"], med["aifs batch hash -j %d" % n]["wall"]
        p1, pn = med["sha256sum, xargs -P 1"]["wall"], med["sha256sum, xargs -P %d" % n]["wall"]
        out.append(row("10,000 files", "near-linear speed-up with cores", run, "batch", "scripts/bench batch",
                       "hash: %s with -j %d, speed-up %.2fx over -j 1" % (ms(many), n, one / many),
                       "sha256sum via xargs -P %d: %s, speed-up %.2fx over -P 1" % (n, ms(pn), p1 / pn),
                       "%s (throughput)" % ratio(pn, many),
                       "%s; whole command, median of %d interleaved rounds; %d cores" % (corpus, rounds, n)))
        count = med.get("aifs batch count -j %d" % n, {})
        mcp_load = os.path.join(run, "mcp-load.json")
        if os.path.isfile(mcp_load):
            loaded = load_json(mcp_load)
            note = "every file read with read_file through one `aifs serve`, all %d requests sent before the first answer; median of %d fresh servers; server CPU %.2f s, peak %d threads, %.0f MiB resident; %d failed; no peer server measured" % (
                loaded["reads"], loaded["runs"], loaded["median_server_cpu_seconds"], loaded["median_peak_threads"],
                loaded["median_peak_rss_mib"], loaded["failed"])
            if "phase" in count:
                note += "; the library alone (`aifs batch count -j %d`, work phase): %s" % (n, ms(count["phase"]))
            out.append(row("10,000 concurrent reads", "under 5 s", run, "batch", "scripts/bench batch",
                           "%s for %s `read_file` calls in flight at once" % (ms(loaded["median_seconds"]), "{:,}".format(loaded["reads"])),
                           "—", "—", note))
        elif "phase" in count:
            wc = med.get("wc, xargs -P %d" % n, {}).get("wall")
            out.append(row("10,000 concurrent reads", "under 5 s", run, "batch", "scripts/bench batch",
                           "%s (`aifs batch count -j %d`, work phase)" % (ms(count["phase"]), n),
                           "wc via xargs -P %d: %s (whole command)" % (n, ms(wc)) if wc else "—",
                           ratio(wc, count["phase"]) if wc else "—",
                           "%s; median of `elapsedMs` in the --json summary; %d workers, not 10,000 at once" % (corpus, n)))
        else:
            out.append(missing("10,000 concurrent reads", "under 5 s", "batch.json has no work-phase figures"))
    else:
        why = "no batch run yet: `scripts/bench batch`"
        out.append(missing("10,000 files", "near-linear speed-up with cores", why))
        out.append(missing("10,000 concurrent reads", "under 5 s", why))
    # watched files
    target = "100,000"
    run_w = runs.find("scaling-watch.csv")
    if run_w:
        with open(os.path.join(run_w, "scaling-watch.csv")) as f:
            last = list(csv.DictReader(f))[-1]
        peer = ("watchfiles: %s, %.0f MiB" % (ms(float(last["watchfiles_setup_s"])), float(last["watchfiles_peak_kib"]) / 1024)
                if last["watchfiles_setup_s"] else "watchfiles: not installed")
        out.append(row("watched files", target, run_w, "scaling", "scripts/bench scaling",
                       "%s files ready in %s, peak RSS %.0f MiB" % (format(int(last["files"]), ","), ms(float(last["aifs_ready_s"])),
                                                                    float(last["aifs_peak_kib"]) / 1024),
                       peer, "%s (time)" % ratio(float(last["watchfiles_setup_s"]), float(last["aifs_ready_s"])) if last["watchfiles_setup_s"] else "—",
                       "median; the whole curve is under Scaling" + watch_run_note(runs)))
    else:
        run = runs.find("watch.json")
        if run:
            s = load_json(os.path.join(run, "watch.json"))["startup_100k"]
            files = s.get("files", 100_000)
            w = s.get("watchfiles_setup_s")
            out.append(row("watched files", target, run, "watch", "scripts/bench watch",
                           "%s files ready in %s, peak RSS %.0f MiB" % (format(files, ","), ms(s["aifs_ready_s"]), s["aifs_peak_rss_kib"] / 1024),
                           "watchfiles: %s to set up its watches" % ms(w) if w else "watchfiles: not installed",
                           "%s (time)" % ratio(w, s["aifs_ready_s"]) if w else "—", "one run"))
        else:
            out.append(missing("watched files", target, "run `scripts/bench watch` or `scripts/bench scaling`"))
    # largest file
    target = "10 GB and beyond, constant memory"
    run_s = runs.find("scaling-filesize.csv")
    # The newest search run that had the 10 GiB file (`--ten-gigabytes` is optional, so
    # a newer run without it must not hide an older one with it).
    run_t, ten = None, None
    for d in runs.dirs:
        path = os.path.join(d, "search.md")
        if os.path.isfile(path):
            m = re.search(r"10 GiB file, literal: aifs peak RSS (\d+) MiB in ([\d.]+) s \(one run\); rg --no-mmap (\d+) MiB", open(path).read())
            if m:
                run_t, ten = d, m
                break
    if ten:
        note = "one run (`--ten-gigabytes`)"
        if run_s:
            with open(os.path.join(run_s, "scaling-filesize.csv")) as f:
                curve = list(csv.DictReader(f))
            note += "; peak RSS from %s to %s: %.0f to %.0f MiB (scaling curve, %s)" % (
                curve[0]["size_mib"] + " MiB", curve[-1]["size_mib"] + " MiB",
                int(curve[0]["aifs_peak_kib"]) / 1024, int(curve[-1]["aifs_peak_kib"]) / 1024, when(run_s, "scaling"))
        out.append(row("largest file", target, run_t, "search", "scripts/bench search --ten-gigabytes",
                       "10 GiB: %s MiB peak RSS, %s s" % (ten.group(1), ten.group(2)),
                       "rg --no-mmap: %s MiB" % ten.group(3), ratio(int(ten.group(3)), int(ten.group(1))), note))
    elif run_s:
        with open(os.path.join(run_s, "scaling-filesize.csv")) as f:
            curve = list(csv.DictReader(f))
        big = curve[-1]
        out.append(row("largest file", target, run_s, "scaling", "scripts/bench scaling",
                       "%s MiB: %.0f MiB peak RSS, %s (at %s MiB: %.0f MiB)" % (big["size_mib"], int(big["aifs_peak_kib"]) / 1024, ms(float(big["aifs_s"])),
                                                                          curve[0]["size_mib"], int(curve[0]["aifs_peak_kib"]) / 1024),
                       "rg --no-mmap: %.0f MiB" % (int(big["rg_no_mmap_peak_kib"]) / 1024),
                       ratio(int(big["rg_no_mmap_peak_kib"]), int(big["aifs_peak_kib"])), "median"))
    else:
        out.append(missing("largest file", target, "run `scripts/bench search --ten-gigabytes` or `scripts/bench scaling`"))
    return out


def watch_run_note(runs):
    """The watch mode's 100,000-file start-up, when there is one, beside the curve's."""
    run = runs.find("watch.json")
    if not run:
        return ""
    s = load_json(os.path.join(run, "watch.json"))["startup_100k"]
    w = s.get("watchfiles_setup_s")
    return "; the watch run (%s, commit %s, one run): aifs %s, %.0f MiB%s" % (
        when(run, "watch"), commit(run, "watch"), ms(s["aifs_ready_s"]), s["aifs_peak_rss_kib"] / 1024,
        ", watchfiles %s" % ms(w) if w else "")


def scaling_row(runs, size_mib):
    """The scaling run and its CSV row for a file of `size_mib`, or (None, None)."""
    run = runs.find("scaling-filesize.csv")
    if run:
        with open(os.path.join(run, "scaling-filesize.csv")) as f:
            for line in csv.DictReader(f):
                if int(line["size_mib"]) == size_mib:
                    return run, line
    return None, None


def scaling_note(runs, size_mib):
    """The scaling run's figures for a file of `size_mib`, when that run is another one."""
    run, line = scaling_row(runs, size_mib)
    if not run:
        return ""
    return "; the scaling run (%s, commit %s): aifs %.0f MiB, rg --no-mmap %.0f MiB, median of its runs" % (
        when(run, "scaling"), commit(run, "scaling"), int(line["aifs_peak_kib"]) / 1024,
        int(line["rg_no_mmap_peak_kib"]) / 1024)


def scaling_time_note(runs, size_mib):
    """The scaling run's times for a file of `size_mib`."""
    run, line = scaling_row(runs, size_mib)
    if not run:
        return ""
    return "; the scaling run (%s, commit %s): aifs %s, rg %s, rg --no-mmap %s, median of its runs" % (
        when(run, "scaling"), commit(run, "scaling"), ms(float(line["aifs_s"])), ms(float(line["rg_s"])),
        ms(float(line["rg_no_mmap_s"])))
    with open(os.path.join(run, "scaling-filesize.csv")) as f:
        for line in csv.DictReader(f):
            if int(line["size_mib"]) == size_mib:
                return "; the scaling run (%s, commit %s): aifs %s, rg %s, rg --no-mmap %s, median of its runs" % (
                    when(run, "scaling"), commit(run, "scaling"), ms(float(line["aifs_s"])), ms(float(line["rg_s"])),
                    ms(float(line["rg_no_mmap_s"])))
    return ""


def commit(run, mode):
    for line in open(notes_path(run, mode)):
        if line.startswith("commit: "):
            return line[8:].strip()
    return "?"


def markdown(rows):
    lines = ["| what | aifs | peer, same run | peer / aifs | target | machine | date | command | notes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["what"], r["aifs"], r["peer"], r["ratio"], r["target"], r["machine"], r["date"],
            r["command"], r["note"]))
    return "\n".join(lines)


def summary(argv):
    run = argv[argv.index("--run") + 1] if "--run" in argv else None
    text = ("One row per row of the performance table in the SPEC, written by `scripts/bench report` "
            "(and at the end of `scripts/bench all`) from the newest run directory under `bench/runs/` "
            "that holds each mode's outputs. Peer / aifs above 1 means aifs took less time or memory than "
            "the peer measured in the same run. Times are medians unless the notes say otherwise.\n\n"
            + markdown(rows(Runs(run))))
    print(text)
    if "--write" in argv:
        path = argv[argv.index("--write") + 1]
        document = open(path).read()
        block = BEGIN + "\n" + text + "\n" + END
        if BEGIN in document and END in document:
            head, rest = document.split(BEGIN, 1)
            document = head + block + rest.split(END, 1)[1]
        else:  # first time: after the opening paragraph
            title, _, body = document.partition("\n\n")
            intro, _, rest = body.partition("\n\n")
            document = title + "\n\n" + intro + "\n\n## Summary\n\n" + block + "\n\n" + rest
        with open(path, "w") as f:
            f.write(document)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "check":
        try:
            check(sys.argv[2], sys.argv[3])
        except (AssertionError, KeyError, ValueError, OSError) as error:
            print("bench: --quick: %s: %s" % (sys.argv[3], error), file=sys.stderr)
            sys.exit(1)
    elif len(sys.argv) >= 2 and sys.argv[1] == "summary":
        summary(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
