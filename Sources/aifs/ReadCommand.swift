import AIFS
import AIFSCore
import ArgumentParser

/// `aifs read`: print a file or part of it, streaming, the way an agent's read_file does.
struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Print files, or their first or last lines, a line range or a byte range.",
        discussion: """
            Reads in fixed buffers: --tail reads from the end of the file, so the last lines \
            of a 10 GB log cost only their own bytes. A file with a NUL byte in its first \
            8 KiB is binary and is only printed with --bytes. With several files, each is \
            preceded by a '==> FILE <==' header, as head(1) does. Exit status: 0 if every \
            file was read, 2 if any could not be (the others are still printed).
            """
    )

    // `.unconditional`: `--head -3` takes -3 as the value, so validate() can say what
    // is wrong with it instead of the parser's "Missing value".
    @Option(parsing: .unconditional, help: ArgumentHelp("Print the first N lines.", valueName: "N"))
    var head: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Print the last N lines.", valueName: "N"))
    var tail: Int?

    @Option(help: ArgumentHelp(
        "Print lines A to B (numbered from 1, both included); 'A:' goes to the end, ':B' starts at line 1.",
        valueName: "A:B"))
    var lines: String?

    @Option(help: ArgumentHelp(
        "Print bytes from offset A up to offset B (B excluded); 'A:' goes to the end, ':B' starts at 0.",
        valueName: "A:B"))
    var bytes: String?

    @Option(name: .customLong("max-bytes"), help: ArgumentHelp(
        "The most bytes printed per file for a line range (--head, --tail, --lines); a cut is reported on stderr.",
        valueName: "N"))
    var maxBytes: Int = 64 << 20

    @Argument(help: ArgumentHelp("The files to read.", valueName: "FILE"))
    var files: [String]

    func validate() throws {
        let given = [head != nil, tail != nil, lines != nil, bytes != nil].filter { $0 }.count
        guard given <= 1 else {
            throw ValidationError("pass at most one of --head, --tail, --lines and --bytes")
        }
        guard maxBytes >= 1 else { throw ValidationError("--max-bytes must be 1 or more, not \(maxBytes)") }
        if let head, head < 0 {
            throw ValidationError("--head takes a number of lines, 0 or more, not \(head); for all but the last \(-head) lines, use --lines with a range")
        }
        if let tail, tail < 0 {
            throw ValidationError("--tail takes a number of lines, 0 or more, not \(tail); for all but the first \(-tail) lines, use --lines \(1 - tail):")
        }
        _ = try range()
    }

    /// The range the flags ask for.
    func range() throws -> ReadRange {
        if let head { return .head(lines: head) }
        if let tail { return .tail(lines: tail) }
        if let lines {
            let (start, end) = try Self.bounds(lines, flag: "--lines")
            guard start ?? 1 >= 1 else { throw ValidationError("--lines: lines are numbered from 1, not \(start!)") }
            if let end, end < (start ?? 1) {
                throw ValidationError("--lines \(lines): the end comes before the start")
            }
            return .lines(start: start ?? 1, end: end)
        }
        if let bytes {
            let (start, end) = try Self.bounds(bytes, flag: "--bytes")
            if let end, end < (start ?? 0) {
                throw ValidationError("--bytes \(bytes): the end comes before the start")
            }
            return .bytes(offset: Int64(start ?? 0), length: end.map { $0 - (start ?? 0) })
        }
        return .whole
    }

    /// Parses `A:B`, `A:`, `:B` or `A` (a single line or byte... as `A:A`).
    static func bounds(_ text: String, flag: String) throws -> (Int?, Int?) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        func number(_ part: Substring) throws -> Int? {
            if part.isEmpty { return nil }
            guard let value = Int(part), value >= 0 else {
                throw ValidationError("\(flag) \(text): '\(part)' is not a number of 0 or more; write A:B, A: or :B")
            }
            return value
        }
        guard parts.count == 2 else {
            throw ValidationError("\(flag) \(text): write A:B, A: or :B")
        }
        return (try number(parts[0]), try number(parts[1]))
    }

    func run() throws {
        let range = try range()
        let service = FileService.unrestricted()
        let output = BufferedOutput(.standardOutput)
        var failed = false
        for (index, file) in files.enumerated() {
            if files.count > 1 {
                output.append(Array("\(index > 0 ? "\n" : "")==> \(file) <==\n".utf8))
            }
            do {
                try print(file, range: range, service: service, output: output)
            } catch let error as CoreError {
                output.flush()
                try? Console.standardError.write("aifs: \(error.cliMessage)\n")
                failed = true
            } catch {
                // stdout is gone (a closed pipe): nothing more can be printed.
                throw ExitCode(failed ? 2 : 0)
            }
            if let failure = output.failure {
                // stdout is gone (a closed pipe): nothing more can be printed.
                _ = failure
                throw ExitCode(failed ? 2 : 0)
            }
        }
        output.flush()
        if failed { throw ExitCode(2) }
    }

    /// Prints one file's range: byte ranges and whole files in continued pieces of
    /// bounded size, line ranges up to --max-bytes.
    /// Standard output was closed under us (the reader of a pipe went away).
    struct OutputClosed: Error {}

    private func print(_ file: String, range: ReadRange, service: FileService, output: BufferedOutput) throws {
        let piece = 4 << 20
        switch range {
        case .whole, .bytes:
            var offset: Int64 = 0
            var remaining: Int?
            if case .bytes(let start, let length) = range {
                offset = start
                remaining = length
            } else {
                // Refuse binary files as text, as readFile does for every range but bytes.
                _ = try service.readFile(path: file, range: .head(lines: 0))
            }
            // Pieces go straight to stdout, not through the line buffer.
            output.flush()
            while remaining ?? 1 > 0 {
                let count = min(remaining ?? piece, piece)
                let content = try service.readFile(path: file, range: .bytes(offset: offset, length: count), maxBytes: piece)
                if content.bytes.isEmpty { break }
                do { try Console.standardOutput.write(content.bytes) } catch { throw OutputClosed() }
                offset += Int64(content.bytes.count)
                remaining = remaining.map { $0 - content.bytes.count }
            }
        case .head, .tail, .lines:
            let content = try service.readFile(path: file, range: range, maxBytes: maxBytes)
            output.append(content.bytes)
            output.endRecord()
            if content.truncated {
                output.flush()
                try? Console.standardError.write(
                    "aifs: '\(file)': output cut at \(content.bytes.count) bytes (--max-bytes \(maxBytes)); pass a larger --max-bytes or a narrower range\n")
            }
        }
    }
}
