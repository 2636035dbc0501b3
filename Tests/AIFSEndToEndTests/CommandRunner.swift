import AIFSTestSupport
import Foundation
import Synchronization

/// Runs the built `aifs` binary as a user would, in a temporary directory.
struct CommandResult: CustomStringConvertible {
    var stdout: String
    var stderr: String
    var status: Int32

    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    var description: String {
        "exit \(status)\n--- stdout ---\n\(stdout)--- stderr ---\n\(stderr)--------------"
    }
}

/// What a program run by a test reads on standard input.
enum StandardInputSource {
    /// `/dev/null`: a device, which ripgrep does not search.
    case null
    /// A regular file holding these bytes (as `< file`).
    case file([UInt8])
    /// A pipe holding these bytes, closed (as `printf … |`); keep them under 64 KiB.
    case pipe([UInt8])
}

enum AIFS {
    /// The `aifs` executable next to the test bundle (SwiftPM builds it first because
    /// the test target depends on it).
    static let executable = BuiltProducts.executable(named: "aifs")

    /// Runs `aifs arguments…` in `directory` and waits for it to exit.
    static func run(
        _ arguments: [String], in directory: String, environment: [String: String]? = nil, input: StandardInputSource = .null
    ) throws -> CommandResult {
        try Process.capture(executable, arguments, in: directory, environment: environment, input: input)
    }
}

extension Process {
    private static let counter = Atomic<Int>(0)

    /// Runs a program with stdout and stderr captured through files (no pipe
    /// deadlocks however much it prints).
    ///
    /// - Parameters:
    ///   - environment: Variables to set or replace in the inherited environment.
    ///   - input: What the program reads on standard input.
    static func capture(
        _ program: String, _ arguments: [String], in directory: String, environment: [String: String]? = nil,
        input: StandardInputSource = .null
    ) throws -> CommandResult {
        let number = counter.add(1, ordering: .relaxed).newValue
        let base = NSTemporaryDirectory() + "aifs-e2e-\(getpid())-\(number)"
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        switch input {
        case .null:
            process.standardInput = FileHandle.nullDevice
        case .file(let bytes):
            _ = FileManager.default.createFile(atPath: base + ".in", contents: Data(bytes))
            process.standardInput = FileHandle(forReadingAtPath: base + ".in")
        case .pipe(let bytes):
            // Small enough for the pipe's buffer: written and closed before the start.
            let pipe = Pipe()
            pipe.fileHandleForWriting.write(Data(bytes))
            try pipe.fileHandleForWriting.close()
            process.standardInput = pipe
        }
        defer { try? FileManager.default.removeItem(atPath: base + ".in") }
        process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
        process.standardError = FileHandle(forWritingAtPath: base + ".err")
        try ChildProcesses.locked { try process.run() }
        process.waitUntilExit()
        let out = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return CommandResult(stdout: out, stderr: err, status: process.terminationStatus)
    }

    /// The path of `name` on PATH, if installed.
    static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
