import FoundationEssentials

/// A list of file operations applied all or nothing.
///
/// The JSON shape is the one the original server's `transaction` tool takes:
///
/// ```json
/// {"operations": [
///   {"type": "write",  "path": "notes.txt", "content": "hello\n"},
///   {"type": "update", "path": "main.swift", "updates": [{"oldText": "a", "newText": "b"}]},
///   {"type": "move",   "path": "old.txt", "destination": "new.txt"},
///   {"type": "delete", "path": "tmp.txt"}
/// ]}
/// ```
///
/// `create` and `write` are the same operation: write the whole file, creating it and
/// its missing parent directories. See ``TransactionRunner`` for how it is applied.
public struct Transaction: Sendable, Hashable, Codable {
    /// The operations, applied in order.
    public var operations: [TransactionOperation]

    /// Creates a transaction.
    public init(operations: [TransactionOperation]) {
        self.operations = operations
    }

    /// Decodes a transaction from its JSON document.
    ///
    /// - Throws: ``WorkError`` with `.invalidTransaction`, naming the operation and the
    ///   field that is missing or of the wrong type.
    public static func decode(json bytes: [UInt8]) throws(WorkError) -> Transaction {
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            throw WorkError(.invalidTransaction, "the transaction is empty; give a JSON object {\"operations\": [...]}")
        }
        do {
            return try JSONDecoder().decode(Transaction.self, from: Data(bytes))
        } catch let error as WorkError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw WorkError(.invalidTransaction, "invalid transaction: \(where_(context.codingPath)) has no \"\(key.stringValue)\"; add it")
        } catch let DecodingError.typeMismatch(type, context) {
            throw WorkError(.invalidTransaction, "invalid transaction: \(where_(context.codingPath)) must be \(jsonKind(of: type, at: context.codingPath)), not \(foundKind(in: context.debugDescription))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw WorkError(.invalidTransaction, "invalid transaction: \(where_(context.codingPath)) is null; give a value")
        } catch let DecodingError.dataCorrupted(context) {
            // The decoder says no more than "not valid JSON" about a syntax error.
            guard !context.codingPath.isEmpty else {
                throw WorkError(.invalidTransaction, "invalid transaction: the document is not valid JSON; check its brackets, quotes and commas")
            }
            let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            throw WorkError(.invalidTransaction, "invalid transaction: \(where_(context.codingPath)): \(detail)")
        } catch {
            throw WorkError(.invalidTransaction, "invalid transaction: \(error)")
        }
    }

    /// The JSON kind a Swift type decodes from, for messages.
    private static func jsonKind(of type: Any.Type, at path: [any CodingKey]) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") {
            return path.last?.stringValue == "operations" ? "an array of operations ([{\"type\": …, \"path\": …}, …])"
                : path.last?.stringValue == "updates" ? "an array of edits ([{\"oldText\": …, \"newText\": …}])" : "an array"
        }
        if name.hasPrefix("Dictionary") { return "an object ({…})" }
        if name == "String" { return "a string" }
        if name == "Bool" { return "true or false" }
        if ["Int", "Double", "Float", "Int64", "UInt64"].contains(name) { return "a number" }
        return "a \(name)"
    }

    /// What the decoder found instead, from its description ("…but found a dictionary
    /// instead."), in JSON's words.
    private static func foundKind(in description: String) -> String {
        let kinds = [("dictionary", "an object"), ("array", "an array"), ("string", "a string"), ("number", "a number"),
                     ("bool", "true or false"), ("null", "null")]
        let lowered = description.lowercased()
        guard let found = lowered.firstRange(of: "found ") else { return "something else" }
        let rest = lowered[found.upperBound...]
        return kinds.first { rest.contains($0.0) }?.1 ?? "something else"
    }

    private static func where_(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return "the document" }
        var text = ""
        for key in path {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text
    }
}

/// One operation of a ``Transaction``.
public struct TransactionOperation: Sendable, Hashable, Codable {
    /// What the operation does.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Write the whole file (same as ``write``).
        case create
        /// Write the whole file, creating it and its parent directories when missing.
        case write
        /// Apply `oldText` → `newText` edits, each `oldText` occurring exactly once.
        case update
        /// Rename the file to `destination`, which must not exist.
        case move
        /// Remove the file.
        case delete
    }

    /// What the operation does.
    public var type: Kind
    /// The file.
    public var path: String
    /// The new contents (`create`, `write`).
    public var content: String?
    /// The edits (`update`).
    public var updates: [TextEdit]?
    /// Where the file goes (`move`).
    public var destination: String?
    /// The version (``ContentVersion``) the file must have before the transaction, as
    /// a read returned it; nil for no check.
    public var expectedVersion: String?

    /// Creates an operation; give the fields its kind needs.
    public init(
        type: Kind, path: String, content: String? = nil, updates: [TextEdit]? = nil, destination: String? = nil,
        expectedVersion: String? = nil
    ) {
        self.type = type
        self.path = path
        self.content = content
        self.updates = updates
        self.destination = destination
        self.expectedVersion = expectedVersion
    }

    private enum CodingKeys: String, CodingKey { case type, path, content, updates, destination, expectedVersion }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .type)
        guard let type = Kind(rawValue: name) else {
            let known = Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw WorkError(.invalidTransaction, "invalid transaction: operations[\(decoder.codingPath.last?.intValue ?? 0)].type is \"\(name)\"; use one of \(known)")
        }
        self.type = type
        path = try container.decode(String.self, forKey: .path)
        content = try container.decodeIfPresent(String.self, forKey: .content)
        updates = try container.decodeIfPresent([TextEdit].self, forKey: .updates)
        destination = try container.decodeIfPresent(String.self, forKey: .destination)
        expectedVersion = try container.decodeIfPresent(String.self, forKey: .expectedVersion)
    }

    /// A short description for messages: "update 'src/a.swift'".
    public var summary: String {
        func shown(_ path: String) -> String {
            path.split(separator: "\0", omittingEmptySubsequences: false).joined(separator: "\\0")
        }
        return switch type {
        case .move: "move '\(shown(path))' to '\(shown(destination ?? "?"))'"
        default: "\(type.rawValue) '\(shown(path))'"
        }
    }
}

/// What a transaction did (or, with `dryRun`, would do).
public struct TransactionReport: Sendable, Hashable {
    /// One applied (or planned) operation.
    public struct Step: Sendable, Hashable {
        /// The operation's kind.
        public var type: TransactionOperation.Kind
        /// The file, resolved.
        public var path: String
        /// The destination of a move, resolved.
        public var destination: String?
        /// For writes and updates: the unified diff from the old contents to the new
        /// (a new file diffs against empty).
        public var diff: String?
    }

    /// The operations, in order.
    public var steps: [Step]
    /// Whether the changes were made (`false` for a dry run).
    public var applied: Bool
}
