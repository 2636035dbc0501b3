import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSCore

/// ``WalkControl``: counting a collecting walk's entries, and stopping it.
@Suite struct WalkControlTests {
    func tree(_ dir: TemporaryDirectory, directories: Int, files: Int) throws {
        for d in 0..<directories {
            for f in 0..<files { try dir.file("d\(d)/f\(f).txt") }
        }
    }

    @Test func countsEveryEntryOfACompleteWalk() throws {
        let dir = try TemporaryDirectory()
        try tree(dir, directories: 6, files: 100)
        let control = WalkControl()
        var options = WalkOptions()
        options.threads = 3
        let (entries, errors) = try Walker(options: options).collect([dir.path], control: control)
        #expect(errors.isEmpty)
        #expect(entries.count == 1 + 6 + 600)
        #expect(control.entriesVisited == entries.count)
        #expect(!control.isCancelled)
    }

    @Test func aCancelledWalkStopsAtItsNextEntry() throws {
        let dir = try TemporaryDirectory()
        try tree(dir, directories: 6, files: 100)
        let control = WalkControl()
        control.cancel()
        control.cancel()  // again: nothing more happens
        var options = WalkOptions()
        options.threads = 3
        let (entries, _) = try Walker(options: options).collect([dir.path], control: control)
        // Each worker quits at its first entry; the stopped walk's results are dropped.
        #expect(entries.isEmpty)
        #expect(control.entriesVisited <= 3)
        #expect(control.isCancelled)
    }
}
