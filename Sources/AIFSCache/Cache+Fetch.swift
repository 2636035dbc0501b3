import Synchronization

extension Cache {
    /// The value for `key`: the live cached one, or the result of `load`, which is
    /// stored. Concurrent fetches of a missing key share one load.
    ///
    /// The first fetch of a missing key runs `load` itself, in its own task; fetches of the same
    /// key that arrive while it runs wait for its result instead of loading again. A value
    /// is stored like ``set(_:_:timeToLive:)`` would (with the configured time-to-live),
    /// unless the key was set or removed while it loaded: then the waiters get it but the
    /// cache does not keep it, as it may predate the change. A failed load is not stored,
    /// and every waiter gets its error. Expired entries are never returned, whatever
    /// ``CacheConfiguration/allowStale`` says.
    ///
    /// Counts a hit or a miss (each waiter counts a miss), and a load or a load failure.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - load: Produces the value on a miss.
    /// - Returns: The cached or loaded value.
    /// - Throws: The error `load` threw, in the fetch that ran it and every waiter.
    public func fetch(_ key: Key, load: () async throws -> Value) async throws -> Value {
        while true {
            let (step, disposals) = state.withLock { state in
                var disposals: [Disposal<Key, Value>] = []
                let step = state.startFetch(key, now: now, disposals: &disposals)
                return (step, disposals)
            }
            dispose(disposals)
            switch step {
            case .hit(let value):
                return value
            case .load(let id):
                return try await runLoad(key, id: id, load: load)
            case .wait:
                if let value = try await waitForLoad(of: key) { return value }
            }
        }
    }

    /// Runs load `id` of `key`, stores its result and hands it to the waiters.
    private func runLoad(_ key: Key, id: Int, load: () async throws -> Value) async throws -> Value {
        let result: Result<Value, any Error>
        do {
            result = .success(try await load())
        } catch {
            result = .failure(error)
        }
        let value = try? result.get()
        let size = value.map { configuration.size(key, $0) } ?? 0
        let (waiters, disposals) = state.withLock { state in
            var disposals: [Disposal<Key, Value>] = []
            let waiters = state.finishLoad(key, id: id, value: value, size: size, now: now, disposals: &disposals)
            return (waiters, disposals)
        }
        for waiter in waiters {
            switch result {
            case .success(let value): waiter.resume(returning: value)
            case .failure(let error): waiter.resume(throwing: error)
            }
        }
        dispose(disposals)
        return try result.get()
    }

    /// Waits for the load of `key` in progress; `nil` means it ended before we could wait
    /// and left no value, so the caller starts over.
    private func waitForLoad(of key: Key) async throws -> Value? {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Value?, any Error>) in
            let step = state.withLock { state in state.enqueue(waiter, for: key, now: now) }
            switch step {
            case .queued: break
            case .hit(let value): waiter.resume(returning: value)
            case .retry: waiter.resume(returning: nil)
            }
        }
    }
}
