import AIFS
import AIFSCache
import AIFSCore
import AIFSWatch
import MCP
import Synchronization

/// `get_filesystem_stats`: the server's live figures.
enum StatsTools {
    static let getFilesystemStats = ToolDefinition(
        tool: Tool(
            name: "get_filesystem_stats",
            title: "Server statistics",
            description: """
                The server's memory, content cache, watchers, workers and live index.
                """,
            inputSchema: Schema.object([:], required: []),
            annotations: Tool.Annotations(readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false),
            outputSchema: Schema.object(
                [
                    "memory": Schema.object(
                        [
                            "residentBytes": Schema.integer("Resident memory at the last sample.", example: 31_457_280),
                            "peakResidentBytes": Schema.integer("The largest resident memory sampled.", example: 41_943_040),
                            "limitBytes": Schema.integer("The memory limit the server runs under.", example: 25_276_502_016),
                            "limitSource": Schema.string("Where the limit comes from.", example: "cgroup v2 memory.max"),
                            "budgetBytes": Schema.integer("The budget the threshold applies to.", example: 25_276_502_016),
                            "threshold": Schema.number("The fraction of the budget above which the caches are shrunk.", example: 0.8),
                            "samples": Schema.integer("Samples taken.", example: 12),
                            "pressureEvents": Schema.integer("Samples above the threshold, which shrank the caches.", example: 0),
                        ], required: ["residentBytes", "limitBytes", "budgetBytes"], closed: false),
                    "cache": Schema.object(
                        [
                            "entries": Schema.integer("Files held.", example: 42),
                            "bytes": Schema.integer("Bytes held.", example: 180_000),
                            "byteBudget": Schema.integer("The most bytes held.", example: 33_554_432),
                            "hits": Schema.integer("Reads answered from memory.", example: 120),
                            "misses": Schema.integer("Reads that went to disk.", example: 42),
                            "hitRate": Schema.number("hits / (hits + misses).", example: 0.74),
                            "staleEntries": Schema.integer("Entries found changed on disk and dropped.", example: 3),
                        ], required: ["entries", "bytes", "hits", "misses"], closed: false),
                    "watchers": Schema.object(
                        [
                            "count": Schema.integer("Watchers running (start_watching).", example: 1),
                            "totalEvents": Schema.integer("Events they reported in all.", example: 12),
                            "watches": Schema.integer("Kernel watches they use.", example: 42),
                            "watchers": Schema.array(
                                Schema.object(
                                    [:], description: "One watcher, as get_watcher_stats shows it.", closed: false),
                                "Each watcher, in the order they were started."),
                        ], required: ["count", "totalEvents", "watchers"], closed: false),
                    "calls": Schema.object(
                        [
                            "running": Schema.integer("Tool calls in progress, this one included.", example: 1),
                            "succeeded": Schema.integer("Calls answered with a result.", example: 40),
                            "failed": Schema.integer("Calls answered with an error result.", example: 2),
                            "cancelled": Schema.integer("Calls the client cancelled (they get no answer).", example: 0),
                        ], required: ["running", "succeeded", "failed", "cancelled"], closed: false),
                    "workers": Schema.object(
                        ["processors": Schema.integer("Processors the server may run on.", example: 8)],
                        required: ["processors"], closed: false),
                    "index": Schema.object(
                        [:], description: "The live index: state (building, ready, off, failed), files, bytes, ngrams, memoryBytes, diskBytes, buildSeconds, updates, lagMs, reason; an array with several roots.",
                        closed: false),
                ], required: ["memory", "cache", "watchers", "calls", "workers"], closed: false)),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown([])
            let stats = context.service.stats()
            let memory = stats.memory ?? MemoryMonitorStats()
            let cache = stats.contentCache
            let hits = cache?.hits ?? 0
            let misses = cache?.misses ?? 0
            let hitRate = hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
            let watchers = context.watchers.snapshots()
            let calls = context.calls
            let totalEvents = watchers.reduce(0) { $0 + $1.events }
            let watches = watchers.reduce(0) { $0 + $1.stats.watches }
            let structured: Value = [
                "memory": [
                    "residentBytes": .int(memory.residentBytes), "peakResidentBytes": .int(memory.peakResidentBytes),
                    "limitBytes": .int(memory.limitBytes), "limitSource": .string(memory.limitSource),
                    "budgetBytes": .int(memory.budgetBytes), "threshold": .double(memory.threshold),
                    "samples": .int(memory.samples), "pressureEvents": .int(memory.pressureEvents),
                    "cacheBytesFreed": .int(memory.cacheBytesFreed),
                ],
                "cache": [
                    "entries": .int(cache?.cache.count ?? 0), "bytes": .int(cache?.cache.bytes ?? 0),
                    "byteBudget": .int(context.service.contentCache?.configuration.byteBudget ?? 0),
                    "largestFileSize": .int(context.service.contentCache?.configuration.largestFileSize ?? 0),
                    "hits": .int(hits), "misses": .int(misses), "hitRate": .double(hitRate),
                    "staleEntries": .int(cache?.staleEntries ?? 0), "racySkips": .int(cache?.racySkips ?? 0),
                    "invalidations": .int(cache?.invalidations ?? 0), "evictions": .int(cache?.cache.evictions ?? 0),
                ],
                "watchers": [
                    "count": .int(watchers.count), "totalEvents": .int(totalEvents), "watches": .int(watches),
                    "watchers": .array(watchers.map { WatchTools.value($0, context: context) }),
                ],
                "calls": [
                    "running": .int(calls.running.load(ordering: .relaxed)),
                    "succeeded": .int(calls.succeeded.load(ordering: .relaxed)),
                    "failed": .int(calls.failed.load(ordering: .relaxed)),
                    "cancelled": .int(calls.cancelled.load(ordering: .relaxed)),
                ],
                "workers": ["processors": .int(DedicatedThreads.processorCount)],
                "index": context.indexing.statistics(roots: context.roots),
            ]
            let text = """
                memory: \(MemoryMonitor.describe(memory.residentBytes)) resident (peak \(MemoryMonitor.describe(memory.peakResidentBytes))) \
                of \(MemoryMonitor.describe(memory.limitBytes)) (\(memory.limitSource)); \(memory.pressureEvents) pressure events
                cache: \(cache?.cache.count ?? 0) files, \(MemoryMonitor.describe(cache?.cache.bytes ?? 0)), \
                \(hits) hits, \(misses) misses, \(cache?.staleEntries ?? 0) stale entries caught
                watchers: \(watchers.count) running, \(totalEvents) events, \(watches) kernel watches
                calls: \(calls.running.load(ordering: .relaxed)) running, \(calls.succeeded.load(ordering: .relaxed)) answered, \
                \(calls.failed.load(ordering: .relaxed)) failed, \(calls.cancelled.load(ordering: .relaxed)) cancelled
                workers: \(DedicatedThreads.processorCount) processors
                \(context.indexing.describe(roots: context.roots))
                """
            return ToolOutput(structured: structured, text: text)
        })
}
