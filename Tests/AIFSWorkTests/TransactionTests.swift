import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSWork

/// Every file under a directory with its contents and mode, to prove a tree unchanged.
func snapshot(_ directory: String) -> [String: String] {
    var result: [String: String] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return result }
    for case let relative as String in enumerator {
        let full = directory + "/" + relative
        let attributes = (try? FileManager.default.attributesOfItem(atPath: full)) ?? [:]
        let mode = (attributes[.posixPermissions] as? Int).map { String($0, radix: 8) } ?? "?"
        if attributes[.type] as? FileAttributeType == .typeDirectory {
            result[relative + "/"] = mode
        } else {
            result[relative] = mode + ":" + ((try? String(contentsOfFile: full, encoding: .utf8)) ?? "<unreadable>")
        }
    }
    return result
}

func options(_ state: TemporaryDirectory) -> TransactionOptions {
    var options = TransactionOptions()
    options.stateDirectory = state.path
    return options
}

func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

@Suite struct TransactionTests {
    @Test func appliesEveryKindOfOperation() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("edit.swift", "let a = 1\nlet b = 2\n")
        try dir.file("old.txt", "moving\n")
        try dir.file("gone.txt", "bye\n")
        chmod(dir.path("edit.swift"), 0o751)
        let transaction = Transaction(operations: [
            .init(type: .create, path: dir.path("new/deep/file.txt"), content: "fresh\n"),
            .init(type: .update, path: dir.path("edit.swift"), updates: [TextEdit(oldText: "let b = 2", newText: "let b = 3")]),
            .init(type: .move, path: dir.path("old.txt"), destination: dir.path("moved/new.txt")),
            .init(type: .delete, path: dir.path("gone.txt")),
            .init(type: .write, path: dir.path("moved/new.txt"), content: "rewritten\n"),
        ])
        let report = try TransactionRunner.run(transaction, options: options(state))
        #expect(report.applied)
        #expect(report.steps.count == 5)
        #expect(report.steps[1].diff?.contains("-let b = 2\n+let b = 3\n") == true)
        #expect(read(dir.path("new/deep/file.txt")) == "fresh\n")
        #expect(read(dir.path("edit.swift")) == "let a = 1\nlet b = 3\n")
        #expect(read(dir.path("moved/new.txt")) == "rewritten\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path("old.txt")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("gone.txt")))
        // The mode of an edited file is kept.
        #expect(snapshot(dir.path)["edit.swift"]?.hasPrefix("751:") == true)
        // The journal is gone once committed.
        #expect(snapshot(state.path + "/transactions").isEmpty)
    }

    @Test func dryRunChangesNothingAndReportsDiffs() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "one\n")
        let before = snapshot(dir.path)
        var options = options(state)
        options.dryRun = true
        let report = try TransactionRunner.run(
            Transaction(operations: [.init(type: .update, path: dir.path("a.txt"), updates: [TextEdit(oldText: "one", newText: "two")])]),
            options: options)
        #expect(!report.applied)
        #expect(report.steps[0].diff?.contains("-one\n+two\n") == true)
        #expect(snapshot(dir.path) == before)
    }

    /// Each way validation can fail leaves the tree as it was and names the operation.
    @Test(arguments: [
        ("update missing text", #"{"type": "update", "path": "a.txt", "updates": [{"oldText": "nope", "newText": "x"}]}"#, "oldText was not found"),
        ("update ambiguous text", #"{"type": "update", "path": "a.txt", "updates": [{"oldText": "x", "newText": "y"}]}"#, "occurs 2 times (on lines 1, 2)"),
        ("update missing file", #"{"type": "update", "path": "missing.txt", "updates": [{"oldText": "x", "newText": "y"}]}"#, "does not exist"),
        ("move onto an existing file", #"{"type": "move", "path": "a.txt", "destination": "b.txt"}"#, "already exists"),
        ("move a missing file", #"{"type": "move", "path": "missing.txt", "destination": "c.txt"}"#, "does not exist"),
        ("delete a missing file", #"{"type": "delete", "path": "missing.txt"}"#, "does not exist"),
        ("delete a directory", #"{"type": "delete", "path": "sub"}"#, "is a directory"),
        ("write over a directory", #"{"type": "write", "path": "sub", "content": "x"}"#, "is a directory"),
        ("write under a file", #"{"type": "write", "path": "a.txt/inner", "content": "x"}"#, "is not a directory"),
        ("write without content", #"{"type": "write", "path": "c.txt"}"#, "has no \"content\""),
    ])
    func validationFailuresApplyNothing(name: String, failing: String, expected: String) throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "x\nx\n")
        try dir.file("b.txt", "b\n")
        try dir.directory("sub")
        let before = snapshot(dir.path)
        let json = #"{"operations": [{"type": "write", "path": "b.txt", "content": "changed"}, \#(failing)]}"#
        let transaction = try Transaction.decode(json: Array(json.utf8))
        var options = options(state)
        let base = dir.path
        options.resolve = { path throws(WorkError) in path.hasPrefix("/") ? path : base + "/" + path }
        #expect(name.isEmpty == false)
        #expect {
            try TransactionRunner.run(transaction, options: options)
        } throws: { error in
            let message = (error as! WorkError).message
            return message.contains("operation 2 of 2") && message.contains(expected) && message.contains("nothing was applied")
        }
        #expect(snapshot(dir.path) == before)
    }

    /// A failure while applying (here injected at each operation in turn) rolls back
    /// everything before it.
    @Test(arguments: 1...5)
    func applyFailuresRollBackEverything(failing: Int) throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("edit.txt", "keep me\n")
        try dir.file("move.txt", "move me\n")
        try dir.file("delete.txt", "delete me\n")
        try dir.file("write.txt", "overwrite me\n")
        chmod(dir.path("write.txt"), 0o640)
        let before = snapshot(dir.path)
        let transaction = Transaction(operations: [
            .init(type: .write, path: dir.path("write.txt"), content: "new\n"),
            .init(type: .create, path: dir.path("made/here/new.txt"), content: "new\n"),
            .init(type: .update, path: dir.path("edit.txt"), updates: [TextEdit(oldText: "keep", newText: "changed")]),
            .init(type: .move, path: dir.path("move.txt"), destination: dir.path("made/moved.txt")),
            .init(type: .delete, path: dir.path("delete.txt")),
        ])
        var options = options(state)
        options._failOperation = failing
        #expect {
            try TransactionRunner.run(transaction, options: options)
        } throws: { error in
            let error = error as! WorkError
            return error.code == .notApplied && error.message.contains("operation \(failing) of 5")
                && error.message.contains("everything was rolled back")
        }
        #expect(snapshot(dir.path) == before)
        #expect(snapshot(state.path + "/transactions").isEmpty)
    }

    @Test func anUnusableStateDirectoryAppliesNothing() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try state.file("blocker", "a file where the state directory should be")
        var options = TransactionOptions()
        options.stateDirectory = state.path("blocker/aifs")
        #expect {
            try TransactionRunner.run(Transaction(operations: [.init(type: .write, path: dir.path("a.txt"), content: "x")]), options: options)
        } throws: { error in
            let error = error as! WorkError
            return error.code == .notApplied && error.message.contains("AIFS_STATE_DIR")
        }
        #expect(snapshot(dir.path).isEmpty)
    }

    @Test func malformedDocumentsGetClearErrors() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("{", "not valid JSON"),
            (#"{"operations": [{"path": "a"}]}"#, "operations[0] has no \"type\""),
            (#"{"operations": [{"type": "frobnicate", "path": "a"}]}"#, "use one of create, write, update, move, delete"),
            (#"{"operations": [{"type": "write"}]}"#, "has no \"path\""),
            (#"{"operations": "nope"}"#, "operations must be an array of operations ([{\"type\": …, \"path\": …}, …]), not a string"),
            (#"{"operations": {"type": "write"}}"#, "operations must be an array of operations ([{\"type\": …, \"path\": …}, …]), not an object"),
            (#"{"operations": [{"type": "write", "path": "a", "content": 5}]}"#, "operations[0].content must be a string, not a number"),
        ]
        for (json, expected) in cases {
            #expect {
                try Transaction.decode(json: Array(json.utf8))
            } throws: { error in
                let error = error as! WorkError
                return error.code == .invalidTransaction && error.message.contains(expected)
            }
        }
    }

    @Test func anInterruptedTransactionIsRolledBackByRecovery() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "original a\n")
        try dir.file("b.txt", "original b\n")
        let before = snapshot(dir.path)
        let transaction = Transaction(operations: [
            .init(type: .write, path: dir.path("a.txt"), content: "changed\n"),
            .init(type: .delete, path: dir.path("b.txt")),
            .init(type: .create, path: dir.path("c/new.txt"), content: "new\n"),
        ])
        let plan = try TransactionPlan.make(transaction, resolve: TransactionRunner.absolutePath)
        do {
            let journal = try TransactionJournal.begin(plan, stateDirectory: state.path)
            for (index, step) in plan.steps.enumerated() {
                journal.starting(step: index + 1)
                try step.apply()
            }
            // While its owner holds the lock, recovery leaves the journal alone.
            #expect(TransactionJournal.recover(stateDirectory: state.path).isEmpty)
            #expect(read(dir.path("c/new.txt")) == "new\n")
            _ = journal  // the "process" dies here: the lock goes, the journal stays
        }
        let recovered = TransactionJournal.recover(stateDirectory: state.path)
        #expect(recovered.count == 1)
        #expect(recovered.first?.failures == [])
        #expect(snapshot(dir.path) == before)
        #expect(TransactionJournal.recover(stateDirectory: state.path).isEmpty)
    }
}

@Suite struct AtomicFileTests {
    @Test func writeKeepsTheModeAndWritesThroughLinks() throws {
        let dir = try TemporaryDirectory()
        try dir.file("script.sh", "echo old\n")
        chmod(dir.path("script.sh"), 0o755)
        try dir.symlink("link.sh", to: "script.sh")
        try AtomicFile.write("echo new\n", to: dir.path("link.sh"))
        #expect(read(dir.path("script.sh")) == "echo new\n")
        #expect(snapshot(dir.path)["script.sh"]?.hasPrefix("755:") == true)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.path("link.sh"))
        #expect(attributes[.type] as? FileAttributeType == .typeSymbolicLink)
        // No temporary file is left behind.
        #expect(snapshot(dir.path).keys.sorted() == ["link.sh", "script.sh"])
    }

    @Test func writeIntoAMissingDirectoryFailsCleanly() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: WorkError.self) { try AtomicFile.write("x", to: dir.path("missing/file.txt")) }
        try AtomicFile.write("x", to: dir.path("missing/file.txt"), createDirectories: true)
        #expect(read(dir.path("missing/file.txt")) == "x")
    }

    @Test func readTextRefusesInvalidUTF8() throws {
        let dir = try TemporaryDirectory()
        _ = FileManager.default.createFile(atPath: dir.path("bin"), contents: Data([0xFF, 0xFE, 0x00]))
        #expect(throws: WorkError.self) { try AtomicFile.readText(dir.path("bin")) }
    }
}

@Suite struct RecoveryTests {
    @Test func aJournalDirectoryWithoutAJournalIsRemoved() throws {
        let state = try TemporaryDirectory()
        try state.file("transactions/123-1-abc/lock", "")
        try state.file("transactions/123-1-abc/backup-0", "x")
        #expect(TransactionJournal.recover(stateDirectory: state.path).isEmpty)
        #expect(snapshot(state.path + "/transactions").isEmpty)
    }

    @Test func nothingToRecoverCostsNothing() throws {
        let state = try TemporaryDirectory()
        #expect(TransactionJournal.recover(stateDirectory: state.path + "/missing").isEmpty)
    }
}
