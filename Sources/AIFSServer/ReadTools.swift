import AIFS
import AIFSCore
import AIFSWork
import Foundation
import MCP

/// `read_file`, `read_multiple_files` and `get_file_info`.
enum ReadTools {
    static let readOnly = Tool.Annotations(
        readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false)

    // MARK: read_file

    static let readFile = ToolDefinition(
        tool: Tool(
            name: "read_file",
            title: "Read a file",
            description: """
                Read a text file, whole or a part (head, tail, lineStart/lineEnd, byteOffset/byteLength); if \
                truncated, 'next' continues. Binary files: byte ranges only.
                """,
            inputSchema: Schema.object(
                [
                    "path": Schema.string("The file to read.", example: "Sources/App/main.swift"),
                    "head": Schema.integer("First N lines.", example: 50, minimum: 0),
                    "tail": Schema.integer(
                        "Last N lines.",
                        example: 100, minimum: 0),
                    "lineStart": Schema.integer("First line to return, 1-based.", example: 120, minimum: 1),
                    "lineEnd": Schema.integer(
                        "Last line, inclusive.", example: 180,
                        minimum: 1),
                    "byteOffset": Schema.integer(
                        "Byte offset (0-based); base64 unless UTF-8 text.",
                        example: 0, minimum: 0),
                    "byteLength": Schema.integer(
                        "Bytes to read.", example: 4096,
                        minimum: 0),
                    "lineNumbers": Schema.boolean("Number lines as cat -n."),
                    "encoding": Schema.string(
                        "auto: UTF-8, UTF-16 by BOM, else Windows-1252.",
                        enum: ["auto", "utf-8", "utf-16le", "utf-16be", "latin1", "windows-1252"]),
                    "ifNoneMatch": Schema.string(
                        "A version read before: if current, answer unchanged:true.",
                        example: "0f343b0931126a20f133d67c2b018a3b-5120"),
                ], required: ["path"]),
            annotations: readOnly,
            outputSchema: Schema.object(
                [
                    "path": Schema.string("The file, relative to the first root when inside it.", example: "Sources/App/main.swift"),
                    "content": Schema.string("The text, or base64 when encoding is base64.", example: "import Foundation\n"),
                    "encoding": Schema.string("How content is encoded.", example: "utf8", enum: ["utf8", "base64"]),
                    "fileEncoding": Schema.string(
                        "What the file's first 8 KiB look like; with '8-bit, not UTF-8', bytes that are not UTF-8 show as U+FFFD in content.",
                        example: "utf-8",
                        enum: ["ascii", "utf-8", "utf-8 with BOM", "utf-16le", "utf-16be", "8-bit, not UTF-8", "binary"]),
                    "size": Schema.integer("The size of the whole file in bytes.", example: 5120),
                    "byteOffset": Schema.integer("The offset in the file of the first byte returned.", example: 0),
                    "byteLength": Schema.integer("How many bytes of the file were returned.", example: 5120),
                    "lineStart": Schema.nullable(Schema.integer(
                        "The number of the first line returned (null when unknown: tail of a file longer than what was read).",
                        example: 1)),
                    "lineEnd": Schema.nullable(Schema.integer("The number of the last line returned.", example: 140)),
                    "lineCount": Schema.integer("How many lines were returned.", example: 140),
                    "truncated": Schema.boolean("Whether the output budget cut the answer short."),
                    "next": Schema.nullable(Schema.string(
                        "When truncated, the arguments that continue the read.", example: "lineStart=5001")),
                    "version": Schema.string(
                        "The whole file's content version (hash and size): pass it as expectedVersion to a write, or as ifNoneMatch to a re-read.",
                        example: "0f343b0931126a20f133d67c2b018a3b-5120"),
                    "unchanged": Schema.boolean("True when ifNoneMatch was the file's version: content is then empty."),
                ], required: ["path", "content", "encoding", "size", "byteOffset", "byteLength", "lineCount", "truncated"],
                closed: false)),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown([
                "path", "head", "tail", "lineStart", "lineEnd", "byteOffset", "byteLength", "ifNoneMatch", "lineNumbers", "encoding",
            ])
            let path = try arguments.requiredString("path")
            let range = try readRange(arguments)
            let ifNoneMatch = try arguments.string("ifNoneMatch")
            let lineNumbers = try arguments.bool("lineNumbers") ?? false
            let encoding = try arguments.string("encoding") ?? "auto"
            guard encoding == "auto" || TextDecoding.names.contains(encoding) else {
                throw ToolFailure("invalidArgument", "read_file: encoding '\(encoding)' is not one of auto, \(TextDecoding.names.joined(separator: ", "))")
            }
            let service = context.service
            // The read stops at the budget; escapes in the JSON form and line numbers in
            // the text make the answer longer than the bytes read, so a read whose
            // answer is still too long is read again, shorter, in proportion.
            var maxBytes = context.budget.forContent * 15 / 16
            let first = maxBytes
            var answer: ToolOutput?
            var version = ContentVersion.of([])
            for _ in 0..<4 {
                let bytes = maxBytes
                let (read, readVersion) = try await onDedicatedThread { () throws(ToolFailure) -> (DecodedRead?, ContentVersion?) in
                    if let ifNoneMatch, bytes == first {
                        let current: ContentVersion
                        do throws(WorkError) { current = try service.version(of: path) } catch { throw ToolFailure(error) }
                        if current.description == ifNoneMatch { return (nil, current) }
                    }
                    let read = try DecodedRead(
                        path: path, range: range, encoding: encoding, lineNumbers: lineNumbers, maxBytes: bytes, service: service)
                    // The version once: it is the whole file's, whatever part was read.
                    return (read, bytes == first ? contentVersion(of: read.content, range: range, service: service) : nil)
                }
                if let readVersion { version = readVersion }
                guard let read else { break }
                var output = render(read.content, range: range, context: context, text: read.text, maxBytes: bytes)
                if case .object(var fields) = output.structured {
                    fields["version"] = .string(version.description)
                    if read.decodedAs != nil { fields["decodedAs"] = .string(read.decodedAs ?? "") }
                    output.structured = .object(fields)
                }
                if lineNumbers, let numbered = read.numbered {
                    output.text = numbered
                    if read.content.truncated, let next = output.structured.objectValue?["next"]?.stringValue {
                        output.text += "[truncated: continue with \(next)]\n"
                    }
                }
                answer = output
                let size = max(output.text.utf8.count, OutputBudget.size(of: output.structured))
                guard size > context.budget.forContent, read.content.bytes.count > 1 else { break }
                maxBytes = max(1, Int(Double(read.content.bytes.count) * Double(context.budget.forContent) / Double(size) * 0.95))
            }
            if let answer { return answer }
            // ifNoneMatch named the file's version: nothing read.
            let shown = context.display(try context.resolve(path))
            return ToolOutput(
                structured: [
                    "path": .string(shown), "content": "", "encoding": "utf8", "size": .int(versionSize(version)),
                    "byteOffset": 0, "byteLength": 0, "lineCount": 0, "truncated": false, "version": .string(version.description),
                    "unchanged": true,
                ],
                text: "\(shown) is unchanged since version \(version) (content not sent again)")
        })

    /// A read with its text decoded (`encoding`), numbered when asked, and a line
    /// range past the end of the file refused with the file's line count.
    struct DecodedRead: Sendable {
        var content: FileContent
        /// The text for `content`, when it is not the bytes as UTF-8.
        var text: String?
        /// The encoding the text was decoded from, when not UTF-8.
        var decodedAs: String?
        /// The `cat -n` rendering with its header, when asked for.
        var numbered: String?

        init(
            path: String, range: ReadRange, encoding: String, lineNumbers: Bool, maxBytes: Int = FileService.defaultReadLimit,
            service: FileService
        ) throws(ToolFailure) {
            do throws(CoreError) {
                content = try service.readFile(path: path, range: range, maxBytes: maxBytes)
            } catch where error.code == .invalidArgument && encoding != "utf-8" && !range.isByteRange {
                // A UTF-16 file (NUL bytes) is binary to the byte reader: decode it whole.
                content = try Self.utf16(
                    path: path, range: range, encoding: encoding, maxBytes: maxBytes, service: service, refusal: error)
                decodedAs = content.encoding.rawValue
                text = String(decoding: content.bytes, as: UTF8.self)  // transcoded already
                numbered = lineNumbers ? Self.number(text ?? "", first: content.firstLine ?? 1, total: nil, path: path) : nil
                return
            } catch {
                throw ToolFailure(error)
            }
            if case .lines(let start, _) = range, start > 1, content.lineCount == 0 {
                let total = (try? service.lineCount(of: path)) ?? 0
                throw ToolFailure(
                    "invalidArgument",
                    "read_file: '\(path)' has \(total) line\(total == 1 ? "" : "s"); lineStart \(start) is past its end: pass a lineStart of \(max(1, total)) or less, or use tail")
            }
            if !range.isByteRange {
                let name: String? = switch encoding {
                case "auto": content.encoding == .other8Bit ? "windows-1252" : nil
                case "utf-8": nil
                default: encoding
                }
                if let name {
                    text = TextDecoding.decode(content.bytes, as: name)
                    decodedAs = name
                }
            }
            guard lineNumbers, !range.isByteRange else { return }
            var first = content.firstLine
            var total: Int?
            if !content.truncated, content.byteOffset + Int64(content.bytes.count) >= content.fileSize {
                // The read reached the end: the last line shown is the last there is.
                if let known = first { total = known + content.lineCount - 1 }
            }
            if first == nil || total == nil, content.fileSize <= 64 << 20, let count = try? service.lineCount(of: path) {
                total = count
                if first == nil, !content.truncated { first = count - content.lineCount + 1 }
            }
            numbered = Self.number(text ?? String(decoding: content.bytes, as: UTF8.self), first: first, total: total, path: path)
        }

        /// A UTF-16 file (by its byte-order mark), read whole within the read limit and
        /// cut to the lines asked for.
        private static func utf16(
            path: String, range: ReadRange, encoding: String, maxBytes: Int, service: FileService, refusal: CoreError
        ) throws(ToolFailure) -> FileContent {
            let head: FileContent
            do throws(CoreError) { head = try service.readFile(path: path, range: .bytes(offset: 0, length: nil)) } catch {
                throw ToolFailure(error)
            }
            let name = encoding == "auto" ? head.encoding.rawValue : encoding
            guard name.hasPrefix("utf-16"), head.encoding == .utf16LittleEndian || head.encoding == .utf16BigEndian || encoding != "auto" else {
                throw ToolFailure(refusal)
            }
            guard !head.truncated else {
                throw ToolFailure("invalidArgument", "read_file: '\(path)' is \(name) text larger than the read limit; read it as a byte range (base64) instead")
            }
            let text = TextDecoding.decode(head.bytes, as: name) ?? ""
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0 + "\n" }
            if text.hasSuffix("\n") || text.isEmpty { lines.removeLast() }
            var first = 1
            switch range {
            case .whole: break
            case .head(let count): lines = Array(lines.prefix(count))
            case .tail(let count):
                first = max(1, lines.count - count + 1)
                lines = Array(lines.suffix(count))
            case .lines(let start, let end):
                first = start
                lines = start > lines.count ? [] : Array(lines[(start - 1)..<min(lines.count, end ?? lines.count)])
            case .bytes: break
            }
            // Within the read's bound, as UTF-8: whole lines, and `next` goes on at the
            // first line left out (a first line longer than the bound is cut).
            var kept = 0
            var size = 0
            for line in lines {
                let length = line.utf8.count
                if size + length > maxBytes { break }
                size += length
                kept += 1
            }
            let truncated = kept < lines.count
            if truncated {
                lines = kept > 0 ? Array(lines[..<kept]) : [Substring(OutputBudget.prefix(String(lines[0]), bytes: maxBytes))]
            }
            let selected = lines.joined()
            // The bytes handed on are UTF-8 now; the encoding says what they were.
            var content = head
            content.truncated = truncated
            content.bytes = Array(selected.utf8)
            content.firstLine = first
            content.lineCount = lines.count
            content.isBinary = false
            content.encoding = name == "utf-16be" ? .utf16BigEndian : .utf16LittleEndian
            return content
        }

        /// `text` as `cat -n` prints it, after a `[path: lines A-B of N]` header.
        static func number(_ text: String, first: Int?, total: Int?, path: String) -> String {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if text.hasSuffix("\n") || text.isEmpty { lines.removeLast() }
            guard let first else {
                return "[\(path): the last \(lines.count) lines]\n" + lines.map { "\t" + $0 }.joined(separator: "\n") + "\n"
            }
            let last = first + lines.count - 1
            let header = lines.isEmpty
                ? "[\(path): no lines\(total.map { " (of \($0))" } ?? "")]"
                : "[\(path): lines \(first)-\(last)\(total.map { " of \($0)" } ?? "")]"
            var output = header + "\n"
            for (offset, line) in lines.enumerated() {
                let number = String(first + offset)
                output += String(repeating: " ", count: max(0, 6 - number.count)) + number + "\t" + line + "\n"
            }
            return output
        }
    }

    /// The version of the whole file a read came from: from the bytes when they are the
    /// whole file, else from the file; remembered for the diff of a refused write.
    static func contentVersion(of content: FileContent, range: ReadRange, service: FileService) -> ContentVersion {
        let whole: Bool
        if case .whole = range { whole = !content.truncated && Int64(content.bytes.count) == content.fileSize } else { whole = false }
        if whole {
            let version = ContentVersion.of(content.bytes)
            if !content.isBinary { service.remember(content.bytes, as: version) }
            return version
        }
        return (try? service.version(of: content.path)) ?? ContentVersion.of(content.bytes)
    }

    private static func versionSize(_ version: ContentVersion) -> Int {
        Int(version.description.split(separator: "-").last ?? "0") ?? 0
    }

    static func readRange(_ arguments: Arguments) throws(ToolFailure) -> ReadRange {
        let head = try arguments.int("head", minimum: 0)
        let tail = try arguments.int("tail", minimum: 0)
        let lineStart = try arguments.int("lineStart", minimum: 1)
        let lineEnd = try arguments.int("lineEnd", minimum: 1)
        let byteOffset = try arguments.int("byteOffset", minimum: 0)
        let byteLength = try arguments.int("byteLength", minimum: 0)
        var chosen: [String] = []
        if head != nil { chosen.append("head") }
        if tail != nil { chosen.append("tail") }
        if lineStart != nil || lineEnd != nil { chosen.append("lineStart/lineEnd") }
        if byteOffset != nil || byteLength != nil { chosen.append("byteOffset/byteLength") }
        guard chosen.count <= 1 else {
            throw ToolFailure(
                "invalidArgument",
                "read_file: give at most one of head, tail, lineStart/lineEnd and byteOffset/byteLength, not \(chosen.joined(separator: " and "))")
        }
        if let head { return .head(lines: head) }
        if let tail { return .tail(lines: tail) }
        if lineStart != nil || lineEnd != nil {
            let start = lineStart ?? 1
            if let lineEnd, lineEnd < start {
                throw ToolFailure("invalidArgument", "read_file: lineEnd \(lineEnd) comes before lineStart \(start)")
            }
            return .lines(start: start, end: lineEnd)
        }
        if byteOffset != nil || byteLength != nil { return .bytes(offset: Int64(byteOffset ?? 0), length: byteLength) }
        return .whole
    }

    /// Whether `bytes` can be shown as text: UTF-8 without NUL bytes.
    static func isText(_ bytes: [UInt8]) -> Bool {
        !bytes.contains(0) && String(validating: bytes, as: UTF8.self) != nil
    }

    static func render(
        _ content: FileContent, range: ReadRange, context: ToolContext, text decoded: String? = nil,
        maxBytes: Int = FileService.defaultReadLimit
    ) -> ToolOutput {
        let shown = context.display(content.path)
        let base64: Bool
        if case .bytes = range { base64 = !isText(content.bytes) } else { base64 = false }
        let text = base64 ? Data(content.bytes).base64EncodedString() : decoded ?? String(decoding: content.bytes, as: UTF8.self)
        var next: String?
        if content.truncated {
            if case .tail = range {
                // A tail cut short lost its start, not its end.
                next = "byteOffset=\(max(0, content.byteOffset - Int64(maxBytes))) byteLength=\(min(content.byteOffset, Int64(maxBytes)))"
            } else if let last = content.lastLine, !base64 {
                next = "lineStart=\(last + 1)"
            } else {
                next = "byteOffset=\(content.byteOffset + Int64(content.bytes.count))"
            }
        }
        let structured: [String: Value] = [
            "path": .string(shown),
            "content": .string(text),
            "encoding": .string(base64 ? "base64" : "utf8"),
            "fileEncoding": .string(content.encoding.rawValue),
            "size": .int(Int(content.fileSize)),
            "byteOffset": .int(Int(content.byteOffset)),
            "byteLength": .int(content.bytes.count),
            "lineStart": content.firstLine.map { .int($0) } ?? .null,
            "lineEnd": content.lastLine.map { .int($0) } ?? .null,
            "lineCount": .int(content.lineCount),
            "truncated": .bool(content.truncated),
            "next": next.map { .string($0) } ?? .null,
        ]
        var rendering = base64 ? "base64 of \(content.bytes.count) bytes of \(shown) at offset \(content.byteOffset):\n\(text)" : text
        if content.truncated {
            rendering += "\n[truncated: \(content.bytes.count) of \(content.fileSize) bytes shown; continue with \(next ?? "")]"
        }
        return ToolOutput(structured: .object(structured), text: rendering)
    }

    // MARK: read_multiple_files

    static let multipleReadMaximumPaths = 100

    static let readMultipleFiles = ToolDefinition(
        tool: Tool(
            name: "read_multiple_files",
            title: "Read several files",
            description: """
                Read up to 100 text files sharing the output budget; each result or error stands alone.
                """,
            inputSchema: Schema.object(
                [
                    "paths": Schema.array(
                        Schema.string("A file to read."), "The files, in answer order.",
                        example: ["Package.swift", "Sources/App/main.swift"]),
                ], required: ["paths"]),
            annotations: readOnly,
            outputSchema: Schema.object(
                [
                    "files": Schema.array(
                        Schema.object(
                            [
                                "path": Schema.string("The path as given.", example: "Package.swift"),
                                "content": Schema.nullable(Schema.string("The text, or null after an error.")),
                                "size": Schema.nullable(Schema.integer("The size of the whole file in bytes.", example: 812)),
                                "truncated": Schema.boolean("Whether the shared budget cut this file short."),
                                "version": Schema.nullable(Schema.string("The whole file's content version, as read_file gives it.")),
                                "error": Schema.nullable(Schema.string(
                                    "Why this file could not be read, or null.",
                                    example: "cannot open 'x': no such file or directory; check the path for typos")),
                            ], required: ["path", "truncated"], closed: false),
                        "One entry per path, in the order given."),
                ], required: ["files"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["paths"])
            guard let paths = try arguments.strings("paths") else {
                throw ToolFailure("invalidArgument", "read_multiple_files: missing required argument 'paths'")
            }
            guard !paths.isEmpty else {
                throw ToolFailure("invalidArgument", "read_multiple_files: 'paths' is empty; pass at least one file")
            }
            guard paths.count <= multipleReadMaximumPaths else {
                throw ToolFailure(
                    "invalidArgument",
                    "read_multiple_files: \(paths.count) paths is more than \(multipleReadMaximumPaths); split the call")
            }
            // The files share the output budget, less what each one's path, version and
            // error take around its text.
            let perFile = max(256, (context.budget.forContent * 7 / 8 - 256 * paths.count) / paths.count)
            let service = context.service
            // Read on as many threads as there are processors, in the order given.
            let results = await onDedicatedThreadNonThrowing {
                service.readFiles(paths, maxBytes: perFile).map { result in
                    result.mapError { ToolFailure($0) }.map { content in
                        (content, contentVersion(of: content, range: ReadRange.whole, service: service))
                    }
                }
            }
            var files: [Value] = []
            var rendering = ""
            for (path, result) in zip(paths, results) {
                switch result {
                case .success(let (content, version)):
                    let text = String(decoding: content.bytes, as: UTF8.self)
                    files.append([
                        "path": .string(path), "content": .string(text), "size": .int(Int(content.fileSize)),
                        "truncated": .bool(content.truncated), "error": .null, "version": .string(version.description),
                    ])
                    rendering += "== \(path) ==\n\(text)"
                    if !text.hasSuffix("\n") && !text.isEmpty { rendering += "\n" }
                    if content.truncated { rendering += "[truncated at \(content.bytes.count) of \(content.fileSize) bytes]\n" }
                case .failure(let failure):
                    files.append([
                        "path": .string(path), "content": .null, "size": .null, "truncated": false,
                        "error": .string(failure.message),
                    ])
                    rendering += "== \(path) ==\nerror: \(failure.message)\n"
                }
            }
            return ToolOutput(structured: ["files": .array(files)], text: rendering)
        })

    // MARK: get_file_info

    static let getFileInfo = ToolDefinition(
        tool: Tool(
            name: "get_file_info",
            title: "File information",
            description: """
                Kind, size, mode, times, inode, device and link status of a path, and a file's version.
                """,
            inputSchema: Schema.object(
                ["path": Schema.string("The file or directory.", example: "Package.swift")], required: ["path"]),
            annotations: readOnly,
            outputSchema: Schema.object(
                [
                    "path": Schema.string("The path, every link resolved, relative to the first root when inside it.", example: "Package.swift"),
                    "kind": Schema.string("What it is.", example: "file", enum: ["file", "directory", "symlink", "other"]),
                    "size": Schema.integer("Size in bytes.", example: 812),
                    "permissions": Schema.string("Permission bits in octal.", example: "0644"),
                    "modified": Schema.string("Last modification of the contents, ISO 8601 UTC.", example: "2026-11-26T16:00:00.123Z"),
                    "changed": Schema.string("Last change of contents or metadata, ISO 8601 UTC.", example: "2026-11-26T16:00:00.123Z"),
                    "inode": Schema.integer("The inode number.", example: 1234567),
                    "device": Schema.integer("The device number.", example: 2049),
                    "isSymlink": Schema.boolean("Whether the path as given is a symbolic link."),
                    "version": Schema.nullable(Schema.string("A file's content version, as read_file gives it; null for others.")),
                ], required: ["path", "kind", "size", "permissions", "modified", "changed", "inode", "device", "isSymlink"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["path"])
            let path = try arguments.requiredString("path")
            let service = context.service
            let (info, version) = try await onDedicatedThread { () throws(ToolFailure) -> (FileInfo, ContentVersion?) in
                let info: FileInfo
                do throws(CoreError) { info = try service.fileInfo(path: path) } catch { throw ToolFailure(error) }
                let version = info.identity.kind == .regular ? try? service.version(of: info.path) : nil
                return (info, version)
            }
            let identity = info.identity
            let permissions = "0" + String(identity.permissions, radix: 8)
            let structured: Value = [
                "path": .string(context.display(info.path)),
                "kind": .string("\(identity.kind)"),
                "size": .int(Int(identity.size)),
                "permissions": .string(permissions),
                "modified": .string(isoDate(identity.modificationTime)),
                "changed": .string(isoDate(identity.changeTime)),
                "inode": .int(Int(truncatingIfNeeded: identity.inode)),
                "device": .int(Int(truncatingIfNeeded: identity.device)),
                "isSymlink": .bool(info.isSymlink),
                "version": version.map { .string($0.description) } ?? .null,
            ]
            let text = "\(context.display(info.path)): \(identity.kind), \(identity.size) bytes, mode \(permissions), "
                + "modified \(isoDate(identity.modificationTime))\(info.isSymlink ? ", reached through a symbolic link" : "")"
            return ToolOutput(structured: structured, text: text)
        })

    static func isoDate(_ nanoseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
        return Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
