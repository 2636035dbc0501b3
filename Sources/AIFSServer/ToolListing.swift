import MCP

/// What `tools/list` sends: every agent pays for these bytes on every turn, so the
/// listing keeps what a model needs to call a tool right and drops the rest.
///
/// - Input schemas keep their types, constraints and descriptions, without `examples`
///   (the descriptions say what a value looks like).
/// - Read-only tools drop the hints that only mean something for tools that write;
///   tools that write drop the hints that say the specification's defaults.
/// - The `title` goes: clients show the name, and the description says the rest.
/// - An array's `items` lose their description (the array's says it), and objects their
///   `additionalProperties: false` (the server refuses unknown arguments with a
///   message that lists the known ones).
/// - Output schemas are not listed: every answer still carries `structuredContent`,
///   which programs read by name (the fields are documented in each tool definition),
///   and the text block explains an answer to the model. The output schemas cost more
///   than half of the listing, and the MCP specification makes them optional.
///
/// The full schemas stay in the tool definitions (and in the docs); only the listing is
/// compact.
extension Tool {
    /// The tool as `tools/list` shows it.
    func listed() -> Tool {
        Tool(
            name: name, description: description,
            inputSchema: Self.compact(inputSchema, keepDescriptions: true), annotations: Self.compact(annotations),
            outputSchema: nil)
    }

    /// The hints that mean something: for a read-only tool, `destructiveHint` and
    /// `idempotentHint` are meaningful only when `readOnlyHint` is false (the MCP
    /// specification), so they go.
    ///
    /// For a tool that writes, a hint at the specification's default goes too:
    /// `readOnlyHint: false`, `destructiveHint: true`, `idempotentHint: false` say what
    /// their absence says.
    static func compact(_ annotations: Annotations) -> Annotations {
        var kept = annotations
        guard annotations.readOnlyHint == true else {
            if kept.readOnlyHint == false { kept.readOnlyHint = nil }
            if kept.destructiveHint == true { kept.destructiveHint = nil }
            if kept.idempotentHint == false { kept.idempotentHint = nil }
            return kept
        }
        kept.destructiveHint = nil
        kept.idempotentHint = nil
        return kept
    }

    /// `schema` without `examples` (and without `description`s unless kept), at every
    /// depth. A property named "description" or "examples" inside `properties` is a
    /// property, not a keyword, and stays.
    static func compact(_ schema: Value, keepDescriptions: Bool, inProperties: Bool = false) -> Value {
        switch schema {
        case .object(let fields):
            var kept: [String: Value] = [:]
            for (key, value) in fields {
                // `additionalProperties: false` is enforced by the server itself.
                if !inProperties && (key == "examples" || key == "additionalProperties" || (!keepDescriptions && key == "description")) { continue }
                if !inProperties && key == "items" {
                    kept[key] = compact(value, keepDescriptions: false)
                    continue
                }
                kept[key] = compact(value, keepDescriptions: keepDescriptions, inProperties: !inProperties && key == "properties")
            }
            return .object(kept)
        case .array(let values):
            // The branches of an anyOf: the property's own description covers them.
            return .array(values.map { compact($0, keepDescriptions: false) })
        default:
            return schema
        }
    }
}
