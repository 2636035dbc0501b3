import AIFS
import AIFSCache
import AIFSCore
import ArgumentParser

/// `aifs stats`: the engine's figures on this machine, as one JSON object.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print memory, cache, watch and worker figures for this machine as JSON.",
        discussion: """
            A one-shot process has empty caches: this reports what the engine reads and \
            would use here (resident memory, the memory limit and where it comes from, the \
            cache and monitor settings, the kernel's inotify limits, the worker count). A \
            running server reports its live figures through the get_filesystem_stats tool.
            """
    )

    func run() throws {
        let cache = FileContentCache()
        let monitor = MemoryMonitor()
        let service = FileService.unrestricted(contentCache: cache, memoryMonitor: monitor)
        monitor.sample()
        let stats = service.stats()
        var json = JSONObjectWriter()
        json.object("memory") { memory in
            let figures = stats.memory ?? MemoryMonitorStats()
            memory.number("residentBytes", figures.residentBytes)
            memory.number("limitBytes", figures.limitBytes)
            memory.string("limitSource", figures.limitSource)
            memory.number("budgetBytes", figures.budgetBytes)
            memory.double("threshold", figures.threshold)
            memory.number("pressureEvents", figures.pressureEvents)
        }
        json.object("cache") { object in
            object.number("countLimit", cache.configuration.countLimit)
            object.number("byteBudget", cache.configuration.byteBudget)
            object.number("largestFileSize", cache.configuration.largestFileSize)
            let counters = stats.contentCache
            object.number("entries", counters?.cache.count ?? 0)
            object.number("bytes", counters?.cache.bytes ?? 0)
            object.number("hits", counters?.hits ?? 0)
            object.number("misses", counters?.misses ?? 0)
        }
        json.object("watch") { watch in
            for name in ["max_user_watches", "max_user_instances", "max_queued_events"] {
                if let value = KernelParameters.integer("fs.inotify." + name) {
                    watch.number(Self.camelCase(name), value)
                }
            }
            // This user namespace's own limits (a container's): where lower, they apply.
            for name in ["max_inotify_watches", "max_inotify_instances"] {
                if let value = KernelParameters.integer("user." + name) {
                    watch.number(Self.camelCase("namespace_" + name), value)
                }
            }
        }
        json.object("pool") { pool in
            pool.number("workers", DedicatedThreads.processorCount)
        }
        try? Console.standardOutput.write(json.finished() + "\n")
    }

    /// `max_user_watches` -> `maxUserWatches`.
    static func camelCase(_ name: String) -> String {
        let words = name.split(separator: "_")
        return words.enumerated().map { index, word in index == 0 ? String(word) : word.prefix(1).uppercased() + word.dropFirst() }
            .joined()
    }
}

/// Writes a JSON object with keys in the order they are added.
struct JSONObjectWriter {
    private var fields: [String] = []

    mutating func number(_ key: String, _ value: Int) {
        fields.append("\(JSONBytes.quoted(key)):\(value)")
    }

    mutating func double(_ key: String, _ value: Double) {
        fields.append("\(JSONBytes.quoted(key)):\(value.isFinite ? "\(value)" : "null")")
    }

    mutating func string(_ key: String, _ value: String) {
        fields.append("\(JSONBytes.quoted(key)):\(JSONBytes.quoted(value))")
    }

    mutating func object(_ key: String, _ build: (inout JSONObjectWriter) -> Void) {
        var nested = JSONObjectWriter()
        build(&nested)
        fields.append("\(JSONBytes.quoted(key)):\(nested.finished())")
    }

    func finished() -> String { "{" + fields.joined(separator: ",") + "}" }
}
