import AIFS
import AIFSCore
import AIFSWork
import ArgumentParser

/// Runs one batch operation for the CLI: chooses the files, prints each result in
/// input order (text or JSON Lines), a progress bar on a terminal, and the summary.
enum BatchDriver {
    static func run(
        _ operation: BatchOperation, paths: [String], flags: BatchFlags, destination: String? = nil, overwrite: Bool = false
    ) async throws {
        if flags.walk.collectedOrder != nil {
            throw ValidationError("batch sorts by path only: use --sort path, or aifs files --sort modified to see that order")
        }
        let walkOptions = try flags.walk.options()
        let service = FileService.unrestricted()
        var paths = paths
        if let list = flags.filesFrom {
            // Many paths are better read from a file than parsed as arguments.
            do throws(WorkError) {
                let bytes = try await BlockingExecutor.shared.perform { () throws(WorkError) -> [UInt8] in try ApplyCommand.readDocument(list) }
                let separator = flags.nullData ? UInt8(0) : UInt8(ascii: "\n")
                paths += bytes.split(separator: separator).map { String(decoding: $0, as: UTF8.self) }.filter { !$0.isEmpty }
            } catch {
                try? Console.standardError.write("aifs: --files-from: \(error.message)\n")
                throw ExitCode(2)
            }
            if paths.isEmpty {
                try? Console.standardError.write("aifs: --files-from \(list) names no file; nothing to do\n")
                throw ExitCode(1)
            }
        }
        var options = BatchOptions()
        if flags.walk.threads > 0 { options.workers = flags.walk.threads }
        options.dryRun = flags.dryRun
        options.overwrite = overwrite

        let output = BufferedOutput(.standardOutput)
        var walkErrors = 0
        var progress: ProgressBar?
        // The walk's errors come first, then the results in path order.
        func walked(files: Int, errors: [CoreError]) {
            walkErrors = errors.count
            for error in errors {
                if flags.json {
                    var record = BatchRecord()
                    record.appendJSON(walkError: error)
                    output.append(record.bytes)
                    output.endRecord()
                } else {
                    try? Console.standardError.write("aifs: \(error.message)\n")
                }
            }
            progress = !flags.noProgress && Console.standardError.isTerminal ? ProgressBar(total: files) : nil
        }
        var matchedAny = false
        var record = BatchRecord()
        let summary: BatchSummary
        do throws(WorkError) {
            summary = try await service.runBatch(
                walking: paths, walkOptions: walkOptions, destinationDirectory: destination, operation: operation, options: options,
                onWalked: walked
            ) { result in
                if case .success(.matches(let lines, _)) = result.outcome, lines > 0 { matchedAny = true }
                record.clear()
                if flags.json {
                    record.appendJSON(result)
                    output.append(record.bytes)
                    output.endRecord()
                } else {
                    switch result.outcome {
                    case .success(let value):
                        if record.appendTextLine(value, item: result.item, operation: operation.name) {
                            output.append(record.bytes)
                            output.endRecord()
                        }
                    case .failure(let error):
                        output.flush()
                        progress?.clearLine()
                        try? Console.standardError.write("aifs: \(error.cliMessage)\n")
                    }
                }
                progress?.advance()
            }
        } catch {
            output.flush()
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        progress?.finish()
        let failed = summary.failed + walkErrors
        let seconds = Double(summary.elapsed.components.seconds) + Double(summary.elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(summary.total) / seconds : 0
        if flags.json {
            output.append("{\"type\":\"summary\",\"operation\":\(JSONBytes.quoted(operation.name)),\"total\":\(summary.total + walkErrors),\"succeeded\":\(summary.succeeded),\"failed\":\(failed),\"notTried\":\(summary.notTried),\"bytes\":\(summary.bytes),\"elapsedMs\":\(Int(seconds * 1000)),\"filesPerSecond\":\(Int(rate)),\"workers\":\(summary.pool.workers),\"utilisation\":\(Double(Int(summary.pool.utilisation * 1000)) / 1000),\"waitMicroseconds\":\(percentiles(summary.pool.waitTime)),\"runMicroseconds\":\(percentiles(summary.pool.runTime)),\"dryRun\":\(flags.dryRun)}\n".utf8)
            output.endRecord()
        }
        output.flush()
        if !flags.json {
            // The paths that could not be walked are files of the batch too, as in the JSON summary.
            let total = summary.total + walkErrors
            let megabytes = Double(summary.bytes) / 1_048_576
            let bytesText = summary.bytes > 0 ? String(format1(megabytes)) + " MiB, " : ""
            try? Console.standardError.write(
                "aifs: \(operation.name)\(flags.dryRun ? " (dry run)" : ""): \(total) file\(total == 1 ? "" : "s"), \(summary.succeeded) ok, \(failed) failed\(summary.notTried > 0 ? ", \(summary.notTried) not tried" : ""); \(bytesText)\(format1(seconds)) s, \(Int(rate)) files/s on \(summary.pool.workers) worker\(summary.pool.workers == 1 ? "" : "s")\n")
        }
        if failed > 0 { throw ExitCode(1) }
        if case .search = operation, !matchedAny { throw ExitCode(1) }
    }

    /// `{"p50":…,"p90":…,"p99":…,"max":…}` in microseconds.
    static func percentiles(_ value: DurationPercentiles) -> String {
        func us(_ duration: Duration) -> Int {
            Int(duration.components.seconds) * 1_000_000 + Int(duration.components.attoseconds / 1_000_000_000_000)
        }
        return "{\"p50\":\(us(value.p50)),\"p90\":\(us(value.p90)),\"p99\":\(us(value.p99)),\"max\":\(us(value.max))}"
    }

    static func format1(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// A one-line progress bar on stderr: done/total, rate, time left; redrawn at most
/// ten times a second.
final class ProgressBar {
    private let total: Int
    private var done = 0
    private let started = ContinuousClock.now
    private var lastDrawn = ContinuousClock.now - .seconds(1)

    init(total: Int) { self.total = total }

    func advance() {
        done += 1
        let now = ContinuousClock.now
        guard now - lastDrawn >= .milliseconds(100) || done == total else { return }
        lastDrawn = now
        let elapsed = now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let left = rate > 0 ? Int(Double(total - done) / rate) : 0
        let width = 30
        let filled = total > 0 ? done * width / total : width
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        try? Console.standardError.write("\r[\(bar)] \(done)/\(total)  \(Int(rate)) files/s  \(left)s left\u{1B}[K")
    }

    /// Erases the bar, so a message can take the line; the next update redraws it.
    func clearLine() {
        try? Console.standardError.write("\r\u{1B}[K")
        lastDrawn = ContinuousClock.now - .seconds(1)
    }

    func finish() { try? Console.standardError.write("\r\u{1B}[K") }
}
