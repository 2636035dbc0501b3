import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSWork

/// Replaces a file with a new inode, as `sed -i` and editors' atomic saves do.
private func replaceAsEditorsDo(_ path: String, with contents: String) throws {
    let temporary = path + ".editor-tmp"
    try Data(contents.utf8).write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, path) == 0 else { throw POSIXError(.EIO) }
}

/// Overwrites a file in place (`echo > f`): the inode stays.
private func overwriteInPlace(_ path: String, with contents: String) throws {
    guard let handle = FileHandle(forWritingAtPath: path) else { throw POSIXError(.ENOENT) }
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data(contents.utf8))
    try handle.close()
}

private func inode(_ path: String) -> UInt64? {
    var buffer = stat()
    return lstat(path, &buffer) == 0 ? UInt64(buffer.st_ino) : nil
}

/// Begins a transaction and applies its first `applied` operations, as a process that
/// is then killed would; the journal's lock goes with the returned scope.
private func interrupt(_ transaction: Transaction, afterApplying applied: Int, state: String) throws {
    let plan = try TransactionPlan.make(transaction, resolve: TransactionRunner.absolutePath)
    let journal = try TransactionJournal.begin(plan, stateDirectory: state)
    for (index, step) in plan.steps.prefix(applied).enumerated() {
        journal.starting(step: index + 1)
        try step.apply()
    }
}

@Suite struct TransactionRecoveryTests {
    /// Issue 15, defect 1: recovery put back files the user edited after the crash and
    /// deleted a file the user made in a directory the transaction had created.
    @Test func issue15_recoveryKeepsWhatTheUserChangedAfterTheCrash() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        for index in 1...6 { try dir.file("f\(index).txt", "original \(index)\n") }
        var operations = (1...6).map { index in
            TransactionOperation(type: .write, path: dir.path("f\(index).txt"), content: "new \(index)\n")
        }
        operations.insert(.init(type: .create, path: dir.path("newdir/n1.txt"), content: "n1\n"), at: 1)
        try interrupt(Transaction(operations: operations), afterApplying: 4, state: state.path)
        // Reached: f1 (op 1), newdir/n1 (op 2), f2 (op 3), f3 (op 4). Not reached: f4-f6.
        try replaceAsEditorsDo(dir.path("f2.txt"), with: "user edit of a written file\n")
        try replaceAsEditorsDo(dir.path("f5.txt"), with: "user edit of an unreached file\n")
        try overwriteInPlace(dir.path("f6.txt"), with: "in place\n")
        try dir.file("newdir/n3.txt", "made by hand\n")

        let recoveries = TransactionJournal.recover(stateDirectory: state.path)
        #expect(recoveries.count == 1)
        let recovery = try #require(recoveries.first)
        #expect(recovery.failures == [])
        #expect(read(dir.path("f1.txt")) == "original 1\n")
        #expect(read(dir.path("f2.txt")) == "user edit of a written file\n")
        #expect(read(dir.path("f2.txt.aifs-original")) == "original 2\n")
        #expect(read(dir.path("f3.txt")) == "original 3\n")
        #expect(read(dir.path("f4.txt")) == "original 4\n")
        #expect(read(dir.path("f5.txt")) == "user edit of an unreached file\n")
        #expect(read(dir.path("f6.txt")) == "in place\n")
        #expect(read(dir.path("newdir/n3.txt")) == "made by hand\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path("newdir/n1.txt")))
        #expect(Set(recovery.restoredPaths) == [dir.path("f1.txt"), dir.path("newdir/n1.txt"), dir.path("f3.txt")])
        #expect(recovery.keptPaths == [dir.path("f2.txt")])
        #expect(recovery.savedOriginals == [dir.path("f2.txt"): dir.path("f2.txt.aifs-original")])
        #expect(recovery.summary.contains("'\(dir.path("f2.txt"))' (its original is at '\(dir.path("f2.txt.aifs-original"))')"))
        // Exactly those files: no temporary file, no other copy.
        #expect(snapshot(dir.path).keys.sorted() == [
            "f1.txt", "f2.txt", "f2.txt.aifs-original", "f3.txt", "f4.txt", "f5.txt", "f6.txt", "newdir/", "newdir/n3.txt",
        ])
        #expect(snapshot(state.path).keys.filter { $0.hasPrefix("transactions/") && $0 != "transactions/" }.isEmpty)
    }

    /// An in-place write to a file the transaction had not replaced yet shares the
    /// inode of its saved original; it is the user's, and recovery leaves it.
    @Test func anInPlaceEditOfAFileNotYetReplacedIsKept() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "a\n")
        try dir.file("b.txt", "b\n")
        let transaction = Transaction(operations: [
            .init(type: .write, path: dir.path("a.txt"), content: "A\n"),
            .init(type: .update, path: dir.path("b.txt"), updates: [TextEdit(oldText: "b", newText: "B")]),
        ])
        // Killed while starting operation 2: b.txt may or may not have been reached.
        let plan = try TransactionPlan.make(transaction, resolve: TransactionRunner.absolutePath)
        do {
            let journal = try TransactionJournal.begin(plan, stateDirectory: state.path)
            journal.starting(step: 1)
            try plan.steps[0].apply()
            journal.starting(step: 2)
        }
        try overwriteInPlace(dir.path("b.txt"), with: "typed by the user\n")
        let recovery = try #require(TransactionJournal.recover(stateDirectory: state.path).first)
        #expect(recovery.failures == [])
        #expect(read(dir.path("a.txt")) == "a\n")
        #expect(read(dir.path("b.txt")) == "typed by the user\n")
        #expect(snapshot(dir.path).keys.sorted() == ["a.txt", "b.txt"])
    }

    /// A file the user deleted after the transaction wrote it stays deleted; its
    /// original is kept beside the name.
    @Test func aWrittenFileDeletedAfterTheCrashKeepsItsOriginalBeside() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "a\n")
        try interrupt(
            Transaction(operations: [.init(type: .write, path: dir.path("a.txt"), content: "A\n")]),
            afterApplying: 1, state: state.path)
        try FileManager.default.removeItem(atPath: dir.path("a.txt"))
        let recovery = try #require(TransactionJournal.recover(stateDirectory: state.path).first)
        #expect(recovery.keptPaths == [dir.path("a.txt")])
        #expect(!FileManager.default.fileExists(atPath: dir.path("a.txt")))
        #expect(read(dir.path("a.txt.aifs-original")) == "a\n")
    }

    /// Moves and deletes are undone by renaming the saved originals back: the same
    /// inodes return, and no new space is needed.
    @Test func movesAndDeletesComeBackAsTheSameFiles() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("old.txt", "moving\n")
        try dir.file("gone.txt", "deleted\n")
        let inodes = (inode(dir.path("old.txt")), inode(dir.path("gone.txt")))
        try interrupt(
            Transaction(operations: [
                .init(type: .move, path: dir.path("old.txt"), destination: dir.path("sub/new.txt")),
                .init(type: .delete, path: dir.path("gone.txt")),
            ]),
            afterApplying: 2, state: state.path)
        let recovery = try #require(TransactionJournal.recover(stateDirectory: state.path).first)
        #expect(recovery.failures == [])
        #expect(read(dir.path("old.txt")) == "moving\n")
        #expect(read(dir.path("gone.txt")) == "deleted\n")
        #expect((inode(dir.path("old.txt")), inode(dir.path("gone.txt"))) == inodes)
        #expect(snapshot(dir.path).keys.sorted() == ["gone.txt", "old.txt"])
    }

    /// The temporary file of an operation cut short is named in the journal before it
    /// exists, and recovery removes it (issue 15, defect 4).
    @Test func issue15_recoveryRemovesTheTemporaryFilesTheJournalNames() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "a\n")
        let plan = try TransactionPlan.make(
            Transaction(operations: [.init(type: .write, path: dir.path("deep/er/a.txt"), content: "A\n")]),
            resolve: TransactionRunner.absolutePath)
        let temporary = try #require(plan.steps[0].temporary)
        do {
            let journal = try TransactionJournal.begin(plan, stateDirectory: state.path)
            journal.starting(step: 1)
            // Killed after making the directories and half-writing the temporary file.
            try dir.file("deep/er/" + AtomicFile.split(temporary).name, "half")
        }
        #expect(FileManager.default.fileExists(atPath: temporary))
        let recovery = try #require(TransactionJournal.recover(stateDirectory: state.path).first)
        #expect(recovery.removedTemporaries == [temporary])
        #expect(snapshot(dir.path).keys.sorted() == ["a.txt"])
    }

    /// A rollback after a failure touches only what the transaction changed, finishes
    /// its journal and says "rolled back" (issue 15, defect 5).
    @Test func issue15_aRollbackThatSucceedsIsReportedAsSuchAndLeavesNoJournal() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        for index in 1...4 { try dir.file("f\(index).txt", "\(index)\n") }
        var options = options(state)
        options._failOperation = 3
        let operations = (1...4).map { TransactionOperation(type: .write, path: dir.path("f\($0).txt"), content: "new\n") }
        let untouched = (inode(dir.path("f3.txt")), inode(dir.path("f4.txt")))
        #expect {
            try TransactionRunner.run(Transaction(operations: operations), options: options)
        } throws: { error in
            let message = (error as? WorkError)?.message ?? ""
            return message.contains("everything was rolled back") && !message.contains("failed for")
        }
        #expect((1...4).map { read(dir.path("f\($0).txt")) } == ["1\n", "2\n", "3\n", "4\n"])
        // Files the transaction never reached were not rewritten.
        #expect((inode(dir.path("f3.txt")), inode(dir.path("f4.txt"))) == untouched)
        #expect(snapshot(state.path).isEmpty || snapshot(state.path).keys.allSatisfy { $0 == "transactions/" })
        #expect(TransactionJournal.recover(stateDirectory: state.path).isEmpty)
    }

    /// A directory in place of a written file is the user's: left, original beside it.
    @Test func aDirectoryInPlaceOfAWrittenFileIsLeft() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "a\n")
        try interrupt(
            Transaction(operations: [.init(type: .write, path: dir.path("a.txt"), content: "A\n")]),
            afterApplying: 1, state: state.path)
        try FileManager.default.removeItem(atPath: dir.path("a.txt"))
        try dir.file("a.txt/inside", "x")
        let recovery = try #require(TransactionJournal.recover(stateDirectory: state.path).first)
        #expect(recovery.keptPaths == [dir.path("a.txt")])
        #expect(read(dir.path("a.txt.aifs-original")) == "a\n")
        #expect(TransactionJournal.recover(stateDirectory: state.path).isEmpty)
    }

    /// A journal that cannot be settled is set aside with its originals and reported
    /// once, not retried by every start (issue 15, defect 5).
    @Test func issue15_anUnsettledJournalIsSetAsideAndReportedOnce() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("sub/a.txt", "a\n")
        try interrupt(
            Transaction(operations: [.init(type: .write, path: dir.path("sub/a.txt"), content: "A\n")]),
            afterApplying: 1, state: state.path)
        // Something recovery cannot undo: the directory became a file.
        try FileManager.default.removeItem(atPath: dir.path("sub"))
        try dir.file("sub", "now a file")
        let first = try #require(TransactionJournal.recover(stateDirectory: state.path).first)
        #expect(first.failures.count == 1)
        let aside = try #require(first.unsettledDirectory)
        #expect(aside.hasPrefix(state.path + "/unsettled/"))
        #expect(first.summary.contains("restore what you need from there by hand"))
        // The original is still there to restore by hand.
        #expect(snapshot(aside).values.contains("644:a\n") || snapshot(aside).values.contains("600:a\n"))
        #expect(TransactionJournal.recover(stateDirectory: state.path).isEmpty)
        #expect(read(dir.path("sub")) == "now a file")
    }

    /// A journal this version cannot read is never guessed at: set aside, reported once.
    @Test func aJournalThatCannotBeReadIsSetAsideNotTrusted() throws {
        let state = try TemporaryDirectory()
        try state.file("transactions/1-1-x/lock", "")
        try state.file("transactions/1-1-x/journal.json", #"{"version":1,"pid":1,"operations":["write 'a'"],"entries":[],"createdDirectories":[]}"#)
        let recovery = try #require(TransactionJournal.recover(stateDirectory: state.path).first)
        #expect(recovery.unsettledDirectory == state.path + "/unsettled/1-1-x")
        #expect(recovery.summary.contains("cannot be read by this version"))
        #expect(TransactionJournal.recover(stateDirectory: state.path).isEmpty)
    }

    /// Issue 15, defect 3: one file named two ways had its first edit dropped.
    @Test(arguments: ["./cfg.txt", "sub/../cfg.txt", "a//cfg.txt", "a/./cfg.txt"])
    func issue15_oneFileNamedTwoWaysKeepsBothEdits(alias: String) throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.directory("sub")
        try dir.file("a/cfg.txt", "one=1\ntwo=2\n")
        let base = alias.hasPrefix("a/") ? "a/cfg.txt" : "cfg.txt"
        try dir.file("cfg.txt", "one=1\ntwo=2\n")
        let transaction = Transaction(operations: [
            .init(type: .update, path: dir.path(base), updates: [TextEdit(oldText: "one=1", newText: "one=10")]),
            .init(type: .update, path: dir.path(alias), updates: [TextEdit(oldText: "two=2", newText: "two=20")]),
        ])
        let report = try TransactionRunner.run(transaction, options: options(state))
        #expect(report.steps.count == 2)
        #expect(read(dir.path(base)) == "one=10\ntwo=20\n")
    }

    /// Hard links are one file under two names: refused, with both names.
    @Test func hardLinkedNamesAreRefused() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "x\n")
        #expect(link(dir.path("a.txt"), dir.path("b.txt")) == 0)
        let transaction = Transaction(operations: [
            .init(type: .write, path: dir.path("a.txt"), content: "1\n"),
            .init(type: .write, path: dir.path("b.txt"), content: "2\n"),
        ])
        #expect {
            try TransactionRunner.run(transaction, options: options(state))
        } throws: { error in
            let message = (error as? WorkError)?.message ?? ""
            return message.contains("are the same file (hard links)") && message.contains("nothing was applied")
        }
        #expect(read(dir.path("a.txt")) == "x\n")
    }

    /// Moving a file to another name of itself says so (issue 15, defect 9).
    @Test func movingAFileOntoItselfSaysSo() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("b.txt", "b\n")
        #expect {
            try TransactionRunner.run(
                Transaction(operations: [.init(type: .move, path: dir.path("b.txt"), destination: dir.path("./b.txt"))]),
                options: options(state))
        } throws: { error in
            ((error as? WorkError)?.message ?? "")
                .contains("the destination is the file itself ('\(dir.path("./b.txt"))' and '\(dir.path("b.txt"))' name the same file)")
        }
    }

    /// A file written by an earlier operation can be moved by a later one: operations on
    /// one file apply in order.
    @Test func aFileWrittenThenMovedLandsAtItsDestination() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("draft.txt", "draft\n")
        _ = try TransactionRunner.run(
            Transaction(operations: [
                .init(type: .update, path: dir.path("draft.txt"), updates: [TextEdit(oldText: "draft", newText: "final")]),
                .init(type: .move, path: dir.path("draft.txt"), destination: dir.path("done/final.txt")),
            ]),
            options: options(state))
        #expect(snapshot(dir.path) == ["done/": "755", "done/final.txt": "644:final\n"])
    }

    /// A special file in a transaction is named with the operation and what to do.
    @Test func aFIFOIsRefusedWithTheOperationAndWhatToDo() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        #expect(mkfifo(dir.path("fifo"), 0o600) == 0)
        try dir.file("real.txt", "x\n")
        #expect(symlink(dir.path("real.txt"), dir.path("link.txt")) == 0)
        #expect {
            try TransactionRunner.run(
                Transaction(operations: [.init(type: .write, path: dir.path("fifo"), content: "x")]), options: options(state))
        } throws: { error in
            ((error as? WorkError)?.message ?? "")
                .contains("operation 1 of 1 (write '\(dir.path("fifo"))'): '\(dir.path("fifo"))' is a special file (FIFO, socket or device); remove it from the transaction")
        }
        #expect {
            try TransactionRunner.run(
                Transaction(operations: [.init(type: .delete, path: dir.path("link.txt"))]), options: options(state))
        } throws: { error in
            ((error as? WorkError)?.message ?? "")
                .contains("operation 1 of 1 (delete '\(dir.path("link.txt"))'): '\(dir.path("link.txt"))' is a symbolic link (to '\(dir.path("real.txt"))'); name the file it points to instead")
        }
    }
}

@Suite struct TemporaryFileLedgerTests {
    /// The ledger of a process that died names its temporary files (`+PATH\0` before
    /// creating, `-PATH\0` once gone); recovery removes those still there, and never a
    /// file whose name is not an aifs temporary name.
    @Test func theTemporaryFilesOfADeadProcessAreRemoved() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        let leftover = try dir.file(".a.txt.aifs-99-x-1.tmp", "half")
        let renamed = dir.path(".b.txt.aifs-99-x-2.tmp")
        let precious = try dir.file("precious.txt", "keep me")
        try dir.file(".c.txt.aifs-99-x-3.tmp", "torn")
        try state.file("temporaries/99-x/lock", "")
        let records = "+\(leftover)\0+\(renamed)\0-\(renamed)\0+\(precious)\0+\(dir.path(".c.txt.aifs-99-x-3.tmp"))"
        try state.file("temporaries/99-x/ledger", records)
        let removed = TemporaryFileLedger.recover(stateDirectory: state.path)
        #expect(removed == [leftover])
        // The torn last record named a file not yet made by that process: left alone.
        #expect(snapshot(dir.path).keys.sorted() == [".c.txt.aifs-99-x-3.tmp", "precious.txt"])
        #expect(snapshot(state.path) == ["temporaries/": "755"] || snapshot(state.path) == ["temporaries/": "700"])
    }

    /// The ledger of a live process (its lock is held) is left alone.
    @Test func aLiveProcessesLedgerIsLeftAlone() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        let inFlight = try dir.file(".b.txt.aifs-1-y-1.tmp", "writing")
        try state.file("temporaries/1-y/ledger", "+\(inFlight)\0")
        let lock = try LockFile(locking: state.path("temporaries/1-y/lock"))
        #expect(TemporaryFileLedger.recover(stateDirectory: state.path).isEmpty)
        #expect(FileManager.default.fileExists(atPath: inFlight))
        _ = lock
    }
}
