#!/usr/bin/env python3
"""Scaling curves: does the cost grow linearly with the work?

usage: scripts/bench_scaling.py AIFS_BINARY OUT_DIR [--runs N] [--quick]

1. file size: `aifs search -c` against `rg -c` (mmap, its default for one file) and
   `rg --no-mmap -c` on one file of real text of 128 MiB, 256 MiB, ... 8 GiB (the
   first 128/256/512 MiB of scripts/make-text-corpus's 1 GiB file, or that file
   repeated 2, 4 and 8 times); median time and median peak RSS.
2. file count: `aifs search -c` against `rg -c` on trees of 1,000 to 100,000 files of
   about 4 KiB of real text each (the 1 GiB file cut at line ends, 100 files per
   directory, each tree its own git repository); median time and peak RSS.
3. watcher start-up: `aifs watch --ignore-initial` until its `ready` line against
   watchfiles (constructing its Rust watcher, recursive) and `inotifywait -m -r` (until
   "Watches established.") on the same trees; median time and peak RSS.

Every figure is the median of N runs (default 5), the tools interleaved run by run so
that other work on a shared machine hits them alike; the page cache is warm (one
unmeasured run of each first). Peak RSS is GNU time's %M (ru_maxrss), or VmHWM for
the watchers, which stay running. The answers are checked first: the tools
must print the same counts.

Writes OUT_DIR/scaling-{filesize,filecount,watch}.{csv,md,png} and scaling.md, and
prints the markdown. --quick uses tiny sizes (1-4 MiB, 100-400 files, 2 runs) so the
harness itself can be checked in seconds.
"""
import json, os, shutil, statistics, subprocess, sys, time

aifs, out = sys.argv[1], sys.argv[2]
quick = "--quick" in sys.argv
runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else (2 if quick else 5)
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpora = os.path.join(repo, "bench", "corpora", "quick" if quick else "", "scaling")
MIB = 1024 * 1024
PATTERN = "FileManager"
if quick:
    sizes_mib = [1, 2, 4]
    counts = [100, 200, 400]
else:
    sizes_mib = [128, 256, 512, 1024, 2048, 4096, 8192]
    counts = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000]
os.makedirs(corpora, exist_ok=True)
os.environ["LC_ALL"] = "C"


def text_corpus():
    """The 1 GiB text file (or the 16 MiB one of --quick) that every corpus is cut from."""
    if quick:
        path = os.path.join(repo, "bench", "corpora", "quick", "text-16m.txt")
        if not os.path.exists(path):
            sys.exit("bench_scaling: run `scripts/bench --quick` (it makes %s)" % path)
        return path
    return subprocess.check_output([os.path.join(repo, "scripts", "make-text-corpus"), "1024"], text=True).strip()


def sized_file(mib, text):
    """A file of exactly `mib` MiB: a prefix of the text file, or the text file repeated."""
    path = os.path.join(corpora, "text-%dm.txt" % mib)
    if os.path.exists(path) and os.path.getsize(path) == mib * MIB:
        return path
    base = os.path.getsize(text)
    with open(path + ".tmp", "wb") as dest:
        remaining = mib * MIB
        while remaining > 0:
            with open(text, "rb") as source:
                while remaining > 0:
                    chunk = source.read(min(64 * MIB, remaining))
                    if not chunk:
                        break
                    dest.write(chunk)
                    remaining -= len(chunk)
        assert base > 0
    os.replace(path + ".tmp", path)
    return path


def tree(count, text):
    """`count` files of about 4 KiB each, cut from the text file at line ends, 100 per
    directory; its own git repository so that no ignore file above it applies."""
    path = os.path.join(corpora, "tree-%d" % count)
    if os.path.exists(path + ".complete"):
        return path
    shutil.rmtree(path, ignore_errors=True)
    with open(text, "rb") as source:
        for i in range(count):
            directory = os.path.join(path, "d%04d" % (i // 100))
            if i % 100 == 0:
                os.makedirs(directory)
            piece = source.read(4096) + source.readline()
            if len(piece) < 4096:  # the text file ran out: start again
                source.seek(0)
                piece += source.read(4096) + source.readline()
            with open(os.path.join(directory, "f%06d.txt" % i), "wb") as dest:
                dest.write(piece)
    subprocess.run(["git", "init", "-q", path], check=True)
    open(path + ".complete", "w").close()
    return path


PEAK = os.path.join(corpora, "peak-rss.txt")


def run_once(argv):
    """Wall time (s), peak RSS (KiB) and stdout of one run; stdout goes through a pipe.
    The peak comes from GNU time (`-f %M`), not from wait4 here: Linux carries a
    process's ru_maxrss across fork and exec, so a child of this Python process would
    report at least this process's size. GNU time is small."""
    start = time.perf_counter()
    process = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", PEAK, *argv],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = process.stdout.read()
    process.wait()
    elapsed = time.perf_counter() - start
    if process.returncode not in (0, 1):
        raise RuntimeError("%s exited with %d" % (" ".join(argv), process.returncode))
    with open(PEAK) as f:
        peak = int(f.read().split()[-1])
    return elapsed, peak, output


def total_count(output):
    """The sum of `-c` output: one number, or `path:number` lines."""
    return sum(int(line.rsplit(b":", 1)[-1]) for line in output.splitlines() if line.strip())


def measure(commands):
    """commands: name -> argv. The same answer first, one warm-up run each, then `runs`
    interleaved runs; returns name -> (median s, median peak KiB, count)."""
    answers = {name: total_count(run_once(argv)[2]) for name, argv in commands.items()}
    if len(set(answers.values())) != 1:
        raise RuntimeError("the tools disagree: %s" % answers)
    samples = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            elapsed, peak, _ = run_once(argv)
            samples[name].append((elapsed, peak))
    return {name: (statistics.median(s for s, _ in v), int(statistics.median(k for _, k in v)), answers[name])
            for name, v in samples.items()}


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def read_until(stream, needle, timeout=300):
    deadline = time.monotonic() + timeout
    import select
    buffer = b""
    while needle not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
            raise TimeoutError("no %r within %d s" % (needle, timeout))
        chunk = os.read(stream.fileno(), 65536)
        if not chunk:
            raise EOFError("process ended before %r" % needle)
        buffer += chunk


def stop(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def watch_aifs(path):
    start = time.perf_counter()
    process = subprocess.Popen([aifs, "watch", "--json", "--ignore-initial", path],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    read_until(process.stdout, b'"event":"ready"')
    elapsed = time.perf_counter() - start
    peak = status_kib(process.pid, "VmHWM")
    stop(process)
    return elapsed, peak


def watch_inotifywait(path):
    start = time.perf_counter()
    process = subprocess.Popen(["inotifywait", "-m", "-r", "-e", "modify,create,delete,move", path],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    read_until(process.stderr, b"Watches established.")
    elapsed = time.perf_counter() - start
    peak = status_kib(process.pid, "VmHWM")
    stop(process)
    return elapsed, peak


WATCHFILES = r"""
import json, sys, time
def kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
from watchfiles._rust_notify import RustNotify
before = kib("VmRSS")
start = time.perf_counter()
notify = RustNotify([sys.argv[1]], False, False, 50, True, False)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak_kib": kib("VmHWM"), "before_kib": before}))
"""


def watch_watchfiles(path):
    """Time to construct watchfiles's recursive Rust watcher (its watches are set up when
    the constructor returns), in a fresh Python process; peak RSS of that process, and
    its RSS before the watcher (the interpreter and the module)."""
    result = json.loads(subprocess.check_output([sys.executable, "-c", WATCHFILES, path]))
    return result["seconds"], result["peak_kib"], result["before_kib"]


def have_watchfiles():
    return subprocess.run([sys.executable, "-c", "import watchfiles"], capture_output=True).returncode == 0


def median_of(function, path):
    function(path)  # warm-up: the tree's inodes in the cache
    samples = [function(path) for _ in range(runs)]
    medians = [statistics.median(s[i] for s in samples) for i in range(len(samples[0]))]
    return (medians[0], *(int(m) for m in medians[1:]))  # seconds, then KiB


def write_csv(name, header, rows):
    with open(os.path.join(out, name + ".csv"), "w") as csv:
        csv.write(",".join(header) + "\n")
        for row in rows:
            csv.write(",".join(str(v) for v in row) + "\n")


def plot(name, title, xlabel, xs, series, xticks):
    """series: [(label, times_s, peaks_mib, style)] -> OUT/name.png, time and peak RSS side by side."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench_scaling: matplotlib is missing (pip install matplotlib): no %s.png" % name, file=sys.stderr)
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, times, peaks, style in series:
        if times:
            left.plot(xs, times, style, label=label, linewidth=1.5, markersize=4)
        if peaks:
            right.plot(xs, peaks, style, label=label, linewidth=1.5, markersize=4)
    for axes, ylabel in ((left, "time (s, median)"), (right, "peak RSS (MiB, median)")):
        axes.set_xscale("log", base=2)
        axes.set_yscale("log")
        axes.set_xticks(xs)
        axes.set_xticklabels(xticks, rotation=45)
        axes.minorticks_off()
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        axes.grid(True, which="major", alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(os.path.join(out, name + ".png"), dpi=100)
    plt.close(figure)


def size_label(mib):
    return "%d GiB" % (mib // 1024) if mib >= 1024 else "%d MiB" % mib


def mib(kib):
    return kib / 1024


def ms(seconds):
    return "%.0f ms" % (seconds * 1000) if seconds >= 0.1 else "%.1f ms" % (seconds * 1000)


def file_size_curve(text):
    rows = []
    for size in sizes_mib:
        path = sized_file(size, text)
        m = measure({"aifs": [aifs, "search", "-c", PATTERN, path],
                     "rg": ["rg", "-c", PATTERN, path],
                     "rg --no-mmap": ["rg", "--no-mmap", "-c", PATTERN, path]})
        rows.append((size, m))
        print("bench_scaling: %s: aifs %s, rg %s, rg --no-mmap %s" % (
            size_label(size), ms(m["aifs"][0]), ms(m["rg"][0]), ms(m["rg --no-mmap"][0])), file=sys.stderr)
    write_csv("scaling-filesize", ["size_mib", "matching_lines", "aifs_s", "aifs_peak_kib", "rg_s", "rg_peak_kib",
                                   "rg_no_mmap_s", "rg_no_mmap_peak_kib"],
              [(size, m["aifs"][2], "%.4f" % m["aifs"][0], m["aifs"][1], "%.4f" % m["rg"][0], m["rg"][1],
                "%.4f" % m["rg --no-mmap"][0], m["rg --no-mmap"][1]) for size, m in rows])
    lines = ["Search time and peak RSS against file size (`-c %s`, one file; median of %d runs):" % (PATTERN, runs), "",
             "| file | matching lines | aifs | rg (mmap) | rg --no-mmap | aifs MiB/s | rg / aifs | rg --no-mmap / aifs |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for size, m in rows:
        a, r, n = m["aifs"], m["rg"], m["rg --no-mmap"]
        lines.append("| %s | %s | %s, %.0f MiB | %s, %.0f MiB | %s, %.0f MiB | %.0f | %.2fx | %.2fx |" % (
            size_label(size), format(a[2], ","), ms(a[0]), mib(a[1]), ms(r[0]), mib(r[1]), ms(n[0]), mib(n[1]),
            size / a[0], r[0] / a[0], n[0] / a[0]))
    xs = [size for size, _ in rows]
    plot("scaling-filesize", "Search of one file (-c %s): time and peak RSS against file size" % PATTERN, "file size", xs,
         [(name, [m[name][0] for _, m in rows], [mib(m[name][1]) for _, m in rows], style)
          for name, style in (("aifs", "o-"), ("rg", "s--"), ("rg --no-mmap", "^:"))],
         [size_label(s) for s in xs])
    return lines


def file_count_curve(text):
    rows = []
    for count in counts:
        path = tree(count, text)
        m = measure({"aifs": [aifs, "search", "-c", PATTERN, path], "rg": ["rg", "-c", PATTERN, path]})
        rows.append((count, m))
        print("bench_scaling: %d files: aifs %s, rg %s" % (count, ms(m["aifs"][0]), ms(m["rg"][0])), file=sys.stderr)
    write_csv("scaling-filecount", ["files", "matching_lines", "aifs_s", "aifs_peak_kib", "rg_s", "rg_peak_kib"],
              [(count, m["aifs"][2], "%.4f" % m["aifs"][0], m["aifs"][1], "%.4f" % m["rg"][0], m["rg"][1])
               for count, m in rows])
    lines = ["Search time and peak RSS against file count (`-c %s` on a tree of files of about 4 KiB; median of %d runs):" % (PATTERN, runs), "",
             "| files | matching lines | aifs | rg | aifs files/s | rg / aifs |",
             "| --- | --- | --- | --- | --- | --- |"]
    for count, m in rows:
        a, r = m["aifs"], m["rg"]
        lines.append("| %s | %s | %s, %.0f MiB | %s, %.0f MiB | %s | %.2fx |" % (
            format(count, ","), format(a[2], ","), ms(a[0]), mib(a[1]), ms(r[0]), mib(r[1]),
            format(int(count / a[0]), ","), r[0] / a[0]))
    xs = [count for count, _ in rows]
    plot("scaling-filecount", "Search of a tree (-c %s): time and peak RSS against file count" % PATTERN, "files", xs,
         [(name, [m[name][0] for _, m in rows], [mib(m[name][1]) for _, m in rows], style)
          for name, style in (("aifs", "o-"), ("rg", "s--"))],
         [format(c, ",") for c in xs])
    return lines


def watch_curve(text):
    watchfiles = have_watchfiles()
    inotifywait = shutil.which("inotifywait") is not None
    rows = []
    for count in counts:
        path = tree(count, text)
        row = {"aifs": median_of(watch_aifs, path)}
        if watchfiles:
            row["watchfiles"] = median_of(watch_watchfiles, path)
        if inotifywait:
            row["inotifywait"] = median_of(watch_inotifywait, path)
        rows.append((count, row))
        print("bench_scaling: watch %d files: %s" % (count, ", ".join(
            "%s %s" % (k, ms(v[0])) for k, v in row.items())), file=sys.stderr)
    empty = ("", "", "")
    write_csv("scaling-watch", ["files", "aifs_ready_s", "aifs_peak_kib", "watchfiles_setup_s", "watchfiles_peak_kib",
                                "watchfiles_before_kib", "inotifywait_ready_s", "inotifywait_peak_kib"],
              [(count, "%.4f" % r["aifs"][0], r["aifs"][1],
                *(("%.4f" % r["watchfiles"][0], r["watchfiles"][1], r["watchfiles"][2]) if "watchfiles" in r else empty),
                *(("%.4f" % r["inotifywait"][0], r["inotifywait"][1]) if "inotifywait" in r else empty[:2]))
               for count, r in rows])
    lines = ["Watcher start-up against tree size (median of %d runs): aifs from process start to its `ready` line "
             "(the initial scan included); watchfiles the construction of its recursive Rust watcher in a running "
             "Python process (its RSS includes the interpreter, shown as \"before\"); inotifywait from process start "
             "to \"Watches established.\":" % runs, "",
             "| files | aifs | watchfiles | inotifywait | watchfiles / aifs (time) |",
             "| --- | --- | --- | --- | --- |"]
    for count, r in rows:
        a = r["aifs"]
        w = r.get("watchfiles")
        i = r.get("inotifywait")
        lines.append("| %s | %s, %.0f MiB | %s | %s | %s |" % (
            format(count, ","), ms(a[0]), mib(a[1]),
            "%s, %.0f MiB (before: %.0f MiB)" % (ms(w[0]), mib(w[1]), mib(w[2])) if w else "not installed",
            "%s, %.1f MiB" % (ms(i[0]), mib(i[1])) if i else "not installed",
            "%.2fx" % (w[0] / a[0]) if w else "—"))
    xs = [count for count, _ in rows]
    series = [("aifs watch (to ready)", [r["aifs"][0] for _, r in rows], [mib(r["aifs"][1]) for _, r in rows], "o-")]
    if watchfiles:
        series.append(("watchfiles (construct watcher)", [r["watchfiles"][0] for _, r in rows],
                       [mib(r["watchfiles"][1]) for _, r in rows], "s--"))
        series.append(("watchfiles, RSS growth over the interpreter", [],
                       [max(0.1, mib(r["watchfiles"][1] - r["watchfiles"][2])) for _, r in rows], "s:"))
    if inotifywait:
        series.append(("inotifywait -m -r (to established)", [r["inotifywait"][0] for _, r in rows],
                       [mib(r["inotifywait"][1]) for _, r in rows], "^:"))
    plot("scaling-watch", "Watcher start-up: time and peak RSS against tree size", "files watched", xs, series,
         [format(c, ",") for c in xs])
    if not watchfiles:
        print("bench_scaling: watchfiles is not installed (pip install watchfiles): its column says so", file=sys.stderr)
    return lines


def main():
    text = text_corpus()
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else ["filesize", "filecount", "watch"]
    sections = []
    for name, curve in (("filesize", file_size_curve), ("filecount", file_count_curve), ("watch", watch_curve)):
        if name in only:
            lines = curve(text)
            with open(os.path.join(out, "scaling-%s.md" % name), "w") as md:
                md.write("\n".join(lines) + "\n")
            sections.append("\n".join(lines))
    with open(os.path.join(out, "scaling.md"), "w") as md:
        md.write("\n\n".join(sections) + "\n")
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
