import AIFS
@_spi(Syscalls) import AIFSCore
import AIFSProcess
import AIFSWork
import ArgumentParser

/// `aifs apply FILE`: run a transaction given as JSON, all or nothing.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a transaction (create/write/update/move/delete operations) all or nothing.",
        discussion: """
            FILE (or - for standard input) holds {"operations": [...]} in the shape of the \
            MCP transaction tool: {"type": "create"|"write", "path", "content"}, \
            {"type": "update", "path", "updates": [{"oldText", "newText"}]}, \
            {"type": "move", "path", "destination"}, {"type": "delete", "path"}. Every \
            operation is validated before anything changes; on any failure everything is \
            rolled back. A transaction cut short by a crash is rolled back the next time \
            aifs starts (journal in $AIFS_STATE_DIR, $XDG_STATE_HOME/aifs or \
            ~/.local/state/aifs). Exit status: 0 applied, 1 not applied (the message says \
            which operation failed and why), 2 for a malformed document or usage error.
            """
    )

    @Argument(help: ArgumentHelp("The transaction document, or - for standard input.", valueName: "FILE"))
    var file: String

    @Flag(name: .customLong("dry-run"), help: "Validate and show the diffs; change nothing.")
    var dryRun = false

    @Flag(name: .customLong("diff"), help: "Print the unified diff of each write and update.")
    var diff = false

    @Flag(name: .customLong("json"), help: "Print the report as one JSON object.")
    var json = false

    func run() async throws {
        let bytes: [UInt8]
        do throws(WorkError) {
            bytes = try await BlockingExecutor.shared.perform { () throws(WorkError) -> [UInt8] in try Self.readDocument(file) }
        } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        let transaction: Transaction
        do throws(WorkError) { transaction = try Transaction.decode(json: bytes) } catch {
            try? Console.standardError.write("aifs: \(file == "-" ? "standard input" : file): \(error.message); nothing was applied\n")
            throw ExitCode(2)
        }
        var options = TransactionOptions()
        options.dryRun = dryRun
        if let kill = FileSystemHooks.integer("AIFS_TEST_KILL_AFTER_OPERATIONS") { options._killAfterOperations = kill }
        options._skipSpaceCheck = FileSystemHooks.integer("AIFS_TEST_SKIP_SPACE_CHECK") == 1
        let report: TransactionReport
        do throws(WorkError) {
            report = try await FileService.unrestricted().applyTransaction(transaction, options: options)
        } catch {
            if json {
                try? Console.standardOutput.write("{\"applied\":false,\"error\":{\"code\":\(JSONBytes.quoted(error.code.description)),\"message\":\(JSONBytes.quoted(error.message))}}\n")
            }
            try? Console.standardError.write("aifs: \(file == "-" ? "standard input" : file): \(error.message)\n")
            // A document that names no usable path is malformed, as one with bad JSON.
            throw ExitCode(error.code == .invalidTransaction || error.code == .invalidPath ? 2 : 1)
        }
        var out = ""
        if json {
            let steps = report.steps.map { step in
                var fields = ["\"type\":\(JSONBytes.quoted(step.type.rawValue))", "\"path\":\(JSONBytes.quoted(step.path))"]
                if let destination = step.destination { fields.append("\"destination\":\(JSONBytes.quoted(destination))") }
                if let diff = step.diff { fields.append("\"diff\":\(JSONBytes.quoted(diff))") }
                return "{" + fields.joined(separator: ",") + "}"
            }
            out = "{\"applied\":\(report.applied),\"dryRun\":\(dryRun),\"steps\":[\(steps.joined(separator: ","))]}\n"
        } else {
            out = "\(dryRun ? "would apply" : "applied") \(report.steps.count) operation\(report.steps.count == 1 ? "" : "s"):\n"
            for step in report.steps {
                let target = step.destination.map { " -> \($0)" } ?? ""
                out += "  \(step.type.rawValue) \(step.path)\(target)\n"
            }
            if diff || dryRun {
                for step in report.steps { if let text = step.diff, !text.isEmpty { out += text } }
            }
        }
        try? Console.standardOutput.write(out)
    }

    static func readDocument(_ file: String) throws(WorkError) -> [UInt8] {
        guard file == "-" else { return try AtomicFile.readBytes(file, limit: 256 << 20) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count: Int
            do { count = try chunk.withUnsafeMutableBytes { try StandardInput.read(into: $0) } } catch {
                throw WorkError(.io, "cannot read standard input: \(error)")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > 256 << 20 { throw WorkError(.invalidArgument, "the transaction on standard input is larger than 256 MiB") }
        }
    }
}

/// Environment switches for tests.
enum FileSystemHooks {
    static func integer(_ name: String) -> Int? {
        FileSystemCalls.environment(name).flatMap { Int($0) }
    }
}

/// Rolls back transactions a crash interrupted, before any command runs.
enum StartupRecovery {
    static func run() {
        for recovery in FileService.recoverInterruptedTransactions() {
            try? Console.standardError.write("aifs: \(recovery.summary)\n")
        }
    }
}
