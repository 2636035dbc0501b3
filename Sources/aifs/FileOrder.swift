@_spi(Syscalls) import AIFSCore
import ArgumentParser

/// `--sort modified|accessed|created` and `--sortr`: an order that needs the whole
/// walk, and each file's times, before the first file is printed or searched.
///
/// ripgrep does the same: with these it collects every path, sorts, then searches on
/// one thread. Files whose times cannot be read sort first, in path order, as
/// ripgrep's `Option` keys do.
struct FileOrder {
    var key: WalkFlags.SortMode
    var descending: Bool

    /// `entries` (in path order, from a sorted walk) in this order; a stable sort, so
    /// equal keys keep path order.
    ///
    /// - Throws: `ValidationError` for `created` on a file system that does not record
    ///   creation times, as ripgrep refuses it.
    func sorted(_ entries: [WalkEntry]) throws -> [WalkEntry] {
        if key == .path {
            return descending ? entries.reversed() : entries
        }
        var keyed: [(entry: WalkEntry, key: Int64?)] = []
        keyed.reserveCapacity(entries.count)
        for entry in entries {
            let times = try? FileSystemCalls.times(pathBytes: entry.pathBytes)
            var value: Int64?
            switch key {
            case .modified: value = times?.modified
            case .accessed: value = times?.accessed
            case .created:
                if let times, times.created == nil {
                    throw ValidationError("sorting by creation time is not available: the file system does not record it for '\(entry.path)'")
                }
                value = times?.created
            default: value = nil
            }
            keyed.append((entry, value))
        }
        // Array.sort is not stable: sort indices with the index as the tie-breaker.
        let order = keyed.indices.sorted { a, b in
            let (x, y) = (keyed[a].key, keyed[b].key)
            if x == y { return a < b }
            guard let x else { return !descending }
            guard let y else { return descending }
            return descending ? x > y : x < y
        }
        return order.map { keyed[$0].entry }
    }
}
