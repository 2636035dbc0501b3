import ArgumentParser

/// A command whose positional arguments end with a list of paths, to which paths can be
/// added after parsing.
protocol TakesTrailingPaths: ParsableCommand {
    /// The list of paths that ends the positional arguments.
    static var trailingPaths: WritableKeyPath<Self, [String]> { get }
}

extension TakesTrailingPaths {
    /// Adds `paths` after the paths already parsed.
    mutating func appendTrailingPaths(_ paths: [String]) { self[keyPath: Self.trailingPaths] += paths }
}

/// Keeps long path lists out of ArgumentParser.
///
/// ArgumentParser takes time quadratic in the number of positional arguments: 10,000
/// paths, as `xargs` passes them, took 2.4 s to parse, where `rg` runs the whole search
/// in 0.07 s. So when the command line ends with a long run of arguments that cannot be
/// options (none starts with `-`), all but the first few of that run are parsed by us:
/// they can only be the command's trailing paths. The first ``kept`` stay with
/// ArgumentParser: the subcommand's name (the run may start there), the value of an option
/// just before the run, and positional arguments that come before the paths (a pattern,
/// a replacement).
enum TrailingPaths {
    /// Runs up to this long are parsed whole, as before.
    static let threshold = 128
    /// Arguments of the run left for ArgumentParser.
    static let kept = 8

    /// The arguments for ArgumentParser and the trailing paths set aside, in order.
    static func split(_ arguments: [String]) -> (parsed: [String], paths: [String]) {
        var start = arguments.endIndex
        while start > arguments.startIndex, !arguments[start - 1].hasPrefix("-") { start -= 1 }
        guard arguments.endIndex - start > threshold else { return (arguments, []) }
        let cut = start + kept
        return (Array(arguments[..<cut]), Array(arguments[cut...]))
    }

    /// Parses `arguments` as `root` does, with long trailing path lists set aside and
    /// added back after parsing; a command that takes no paths is parsed whole, so its
    /// errors are ArgumentParser's own.
    static func parse<Root: ParsableCommand>(_ arguments: [String], as root: Root.Type) throws -> any ParsableCommand {
        let (parsed, paths) = split(arguments)
        guard !paths.isEmpty else { return try root.parseAsRoot(arguments) }
        guard var command = try root.parseAsRoot(parsed) as? any TakesTrailingPaths else {
            return try root.parseAsRoot(arguments)
        }
        command.appendTrailingPaths(paths)
        return command
    }
}

extension FilesCommand: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
extension SearchCommand: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.positionals } }
extension ReadCommand: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.files } }
extension WatchCommand: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
extension BatchHash: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
extension BatchCount: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
extension BatchSearch: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
extension BatchStat: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
extension BatchCopy: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
extension BatchMove: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
extension BatchDelete: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
extension BatchRename: TakesTrailingPaths { static var trailingPaths: WritableKeyPath<Self, [String]> { \.paths } }
