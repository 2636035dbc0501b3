import json, os, resource, statistics, subprocess, sys, time
# usage: ab.py ROUNDS name=command ...
runs = int(sys.argv[1]); commands = [a.split("=", 1) for a in sys.argv[2:]]
samples = {n: {"wall": [], "cpu": [], "phase": []} for n, _ in commands}
for r in range(runs + 1):
    order = commands[r % len(commands):] + commands[:r % len(commands)]
    for name, cmd in order:
        b = resource.getrusage(resource.RUSAGE_CHILDREN); t = time.perf_counter()
        out = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        w = time.perf_counter() - t; a = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r == 0: continue
        samples[name]["wall"].append(w); samples[name]["cpu"].append(a.ru_utime - b.ru_utime + a.ru_stime - b.ru_stime)
        if "--json" in cmd:
            try: samples[name]["phase"].append(json.loads(out.splitlines()[-1])["elapsedMs"] / 1000)
            except Exception: pass
for name, _ in commands:
    m = {k: statistics.median(v) * 1000 for k, v in samples[name].items() if v}
    print(f"{name:28s} wall {m['wall']:6.1f}  cpu {m['cpu']:6.1f}  phase {m.get('phase', 0):6.1f}")
print("load", os.getloadavg())
