import ArgumentParser

/// A command whose positional arguments end with a list of paths, to which paths can be
/// added after parsing.
protocol TakesTrailingPaths: ParsableCommand {
    /// Adds `paths` after the paths already parsed.
    mutating func appendTrailingPaths(_ paths: [String])
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

extension FilesCommand: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}

extension SearchCommand: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { positionals += paths }
}

extension ReadCommand: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { files += paths }
}

extension WatchCommand: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}

extension BatchHash: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}

extension BatchCount: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}

extension BatchSearch: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}

extension BatchStat: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}

extension BatchCopy: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}

extension BatchMove: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}

extension BatchDelete: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}

extension BatchRename: TakesTrailingPaths {
    mutating func appendTrailingPaths(_ paths: [String]) { self.paths += paths }
}
