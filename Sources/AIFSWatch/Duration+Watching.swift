extension Duration {
    /// The longest wait or interval the watcher uses: longer ones are cut to it, so
    /// adding them to an instant or turning them into milliseconds cannot overflow.
    static let watchLimit = Duration.seconds(86_400)

    /// This duration cut to 0...``watchLimit``.
    var clampedForWatching: Duration { min(max(self, .zero), .watchLimit) }

    /// Whole milliseconds, rounded up, for a system call's timeout; 0 for a negative
    /// duration, at most a day.
    var timeoutMilliseconds: Int {
        let clamped = clampedForWatching
        if clamped == .zero { return 0 }
        let (seconds, attoseconds) = clamped.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1
    }
}
