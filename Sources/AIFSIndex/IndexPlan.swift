/// Which files may match, in trigrams: a match contains one of the alternatives, so a
/// file that may match holds every trigram of at least one of them (Russ Cox's trigram
/// query, in its OR-of-ANDs form).
struct IndexPlan: Sendable, Hashable {
    /// For each alternative, its distinct trigrams.
    var alternatives: [[UInt32]]

    /// The plan for literals of which every match contains one; nil (every file) when
    /// one is shorter than three bytes, which no trigram can find.
    init?(_ literals: [[UInt8]]) {
        var alternatives: [[UInt32]] = []
        for literal in literals {
            let keys = Array(Set(Trigrams.keys(of: literal)))
            guard !keys.isEmpty else { return nil }
            alternatives.append(keys)
        }
        guard !alternatives.isEmpty else { return nil }
        self.alternatives = alternatives
    }

    /// The numbers of the files that hold every trigram of some alternative, in the
    /// segment or the overlay, ascending; nil when a list is corrupt (then every file
    /// must be searched).
    func evaluate(segment: IndexSegment, overlay: [UInt32: [UInt32]]) -> [UInt32]? {
        var result: [UInt32] = []
        for keys in alternatives {
            // Shortest lists first: the intersection shrinks fastest.
            let sizes = keys.map(segment.listBytes)
            let ordered = keys.indices.sorted { sizes[$0] < sizes[$1] }.map { keys[$0] }
            var files: [UInt32]?
            for key in ordered {
                guard var list = segment.files(with: key) else { return nil }
                if let extra = overlay[key] { list = PostingList.union(list, Array(Set(extra)).sorted()) }
                files = files.map { PostingList.intersection($0, list) } ?? list
                if files?.isEmpty == true { break }
            }
            result = PostingList.union(result, files ?? [])
        }
        return result
    }
}
