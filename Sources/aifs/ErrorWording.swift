import AIFSCore

extension AIFSError {
    /// The message, with the error's hint in the CLI's words (its commands and flags;
    /// the MCP server words the same hints with its tools).
    var cliMessage: String {
        message { hint in
            switch hint {
            case .listDirectory: "list its files with 'aifs files \(path ?? "DIR")', or pass a file"
            case .readByteRange: "ask for a byte range instead (`aifs read --bytes A:B` prints the raw bytes)"
            case .allowOverwrite: "allow overwriting (--overwrite) to replace it"
            default: nil
            }
        }
    }
}
