import SystemPackage

/// The ignore rules that do not live in the walked directories: git's global excludes
/// file and the files named with `--ignore-file`. They rank below every ignore file
/// found in the tree, global before explicit, as in ripgrep's `Ignore::matched_ignore`.
///
/// ## Threading
/// Immutable after creation; shared freely between walker threads.
struct ExtraIgnoreRules: Sendable {
    /// Git's global excludes file, honoured inside repositories only.
    var global: IgnoreRules?
    /// `--ignore-file` files, later ones first in precedence.
    var explicit: [IgnoreRules] = []
    /// Files that could not be read and lines that were skipped.
    var problems: [CoreError] = []

    var isEmpty: Bool { global == nil && explicit.isEmpty }

    init(options: WalkOptions) {
        if options.respectIgnoreFiles && options.respectGitIgnoreFiles && options.respectGlobalGitIgnore,
           let path = ExtraIgnoreRules.globalExcludesPath()
        {
            if let rules = read(path, caseInsensitive: options.ignoreRulesCaseInsensitive, reportMissing: false) { global = rules }
        }
        for path in options.ignoreFiles {
            if let rules = read(path, caseInsensitive: options.ignoreRulesCaseInsensitive, reportMissing: true) {
                explicit.append(rules)
            }
        }
    }

    private mutating func read(_ path: String, caseInsensitive: Bool, reportMissing: Bool) -> IgnoreRules? {
        do {
            let bytes = try Syscall.readSmallFile(atPath: path, limit: Walker.ignoreFileLimit)
            let rules = IgnoreRules(parsing: bytes, source: path, caseInsensitive: caseInsensitive)
            problems += rules.problems
            return rules.isEmpty ? nil : rules
        } catch {
            if reportMissing || error != .noSuchFileOrDirectory {
                problems.append(CoreError(errno: error, operation: "read the ignore file", path: path))
            }
            return nil
        }
    }

    /// Decides a path (relative to the current directory) by the global file, when
    /// `inGitRepository`, then by the explicit files.
    func match(_ path: UnsafeBufferPointer<UInt8>, isDirectory: Bool, inGitRepository: Bool) -> IgnoreMatch {
        if inGitRepository, let global {
            let verdict = global.match(path, isDirectory: isDirectory)
            if verdict != .none { return verdict }
        }
        for rules in explicit.reversed() {
            let verdict = rules.match(path, isDirectory: isDirectory)
            if verdict != .none { return verdict }
        }
        return .none
    }

    // MARK: - Git's configuration

    /// Where git reads global excludes: `core.excludesFile` from the user's git
    /// configuration (`$XDG_CONFIG_HOME/git/config`, then `~/.gitconfig`, the later
    /// winning, as git reads them), else `$XDG_CONFIG_HOME/git/ignore` (with
    /// `~/.config` for an unset `XDG_CONFIG_HOME`).
    static func globalExcludesPath() -> String? {
        let home = Syscall.environment("HOME")
        let xdg = Syscall.environment("XDG_CONFIG_HOME").flatMap { $0.isEmpty ? nil : $0 }
            ?? home.map { $0 + "/.config" }
        var configured: String?
        for config in [xdg.map { $0 + "/git/config" }, home.map { $0 + "/.gitconfig" }].compactMap({ $0 }) {
            guard let bytes = try? Syscall.readSmallFile(atPath: config, limit: 1 << 20) else { continue }
            if let value = excludesFile(inConfig: String(decoding: bytes, as: UTF8.self)) { configured = value }
        }
        if let configured {
            if configured.hasPrefix("~/"), let home { return home + configured.dropFirst() }
            return configured
        }
        return xdg.map { $0 + "/git/ignore" }
    }

    /// The value of `core.excludesFile` in one git configuration file (the last one
    /// given), or `nil`. Section and key names are case-insensitive; values may be
    /// quoted.
    static func excludesFile(inConfig text: String) -> String? {
        var inCore = false
        var value: String?
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingSpaces()
            if line.hasPrefix("[") {
                let name = line.dropFirst().prefix { $0 != "]" && $0 != " " && $0 != "\"" }
                inCore = name.lowercased() == "core"
                continue
            }
            guard inCore, !line.hasPrefix("#"), !line.hasPrefix(";"), let equals = line.firstIndex(of: "=") else {
                continue
            }
            guard line[..<equals].trimmingSpaces().lowercased() == "excludesfile" else { continue }
            var found = line[line.index(after: equals)...].trimmingSpaces()
            if found.count >= 2, found.hasPrefix("\""), found.hasSuffix("\"") {
                found = found.dropFirst().dropLast()
            }
            value = String(found)
        }
        return value
    }

    /// The exclude file of the repository whose `.git` is a file (a linked worktree or
    /// a submodule): `gitdir: DIR` names the worktree's git directory; its `commondir`
    /// file, when present, names the main repository's, which holds `info/exclude`.
    ///
    /// - Parameters:
    ///   - gitFile: The contents of the `.git` file.
    ///   - directory: The directory holding the `.git` file ("" for the current one).
    static func excludePath(gitFile: [UInt8], directory: String) -> String? {
        let text = String(decoding: gitFile, as: UTF8.self)
        guard let line = text.split(separator: "\n").first, line.hasPrefix("gitdir:") else { return nil }
        var gitDirectory = String(line.dropFirst("gitdir:".count).trimmingSpaces())
        if !gitDirectory.hasPrefix("/") {
            gitDirectory = directory.isEmpty ? gitDirectory : directory + "/" + gitDirectory
        }
        var common = gitDirectory
        if let bytes = try? Syscall.readSmallFile(atPath: gitDirectory + "/commondir", limit: 1 << 16) {
            let named = String(decoding: bytes, as: UTF8.self).trimmingSpaces()
            if !named.isEmpty { common = named.hasPrefix("/") ? String(named) : gitDirectory + "/" + named }
        }
        return common + "/info/exclude"
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self[...]
        while let first = result.first, first.isWhitespace { result = result.dropFirst() }
        while let last = result.last, last.isWhitespace { result = result.dropLast() }
        return Substring(result)
    }
}
