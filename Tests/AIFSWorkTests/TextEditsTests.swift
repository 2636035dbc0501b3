import AIFSTestSupport
import Testing

@testable import AIFSWork

@Suite struct TextEditsTests {
    @Test func appliesEditsInOrder() throws {
        let text = "let a = 1\nlet b = 2\nlet c = 3\n"
        let edited = try TextEdits.apply(
            [TextEdit(oldText: "let a = 1", newText: "let a = 10"), TextEdit(oldText: "a = 10\nlet b", newText: "a = 10\nvar b")],
            to: text)
        #expect(edited == "let a = 10\nvar b = 2\nlet c = 3\n")
    }

    @Test func missingTextSaysWhereItsFirstLineIs() {
        let text = "func f() {\n    return 1\n}\n"
        #expect {
            try TextEdits.apply([TextEdit(oldText: "func f() {\n    return 2\n}", newText: "")], to: text, path: "f.swift")
        } throws: { error in
            let error = error as! WorkError
            return error.code == .editNotFound && error.message.contains("'f.swift'")
                && error.message.contains("its first line occurs on line 1")
        }
    }

    @Test func ambiguousTextSaysHowManyTimesAndOnWhichLines() {
        let text = "x = 1\ny = 2\nx = 1\nz\nx = 1\n"
        #expect {
            try TextEdits.apply([TextEdit(oldText: "x = 1", newText: "x = 2")], to: text)
        } throws: { error in
            let error = error as! WorkError
            return error.code == .editAmbiguous && error.message.contains("occurs 3 times (on lines 1, 3, 5)")
        }
    }

    @Test func overlappingOccurrencesCountAsAmbiguous() {
        #expect(throws: WorkError.self) { try TextEdits.apply([TextEdit(oldText: "aa", newText: "b")], to: "aaa") }
    }

    @Test func emptyOldTextIsRefused() {
        #expect(throws: WorkError.self) { try TextEdits.apply([TextEdit(oldText: "", newText: "b")], to: "aaa") }
    }

    @Test func lfEditsApplyToCRLFText() throws {
        let text = "one\r\ntwo\r\nthree\r\n"
        let edited = try TextEdits.apply([TextEdit(oldText: "one\ntwo", newText: "1\n2")], to: text)
        #expect(edited == "1\r\n2\r\nthree\r\n")
    }

    @Test func unicodeTextIsEditedByBytes() throws {
        let edited = try TextEdits.apply([TextEdit(oldText: "é", newText: "e\u{301}")], to: "café ☕\n")
        #expect(edited == "cafe\u{301} ☕\n")
    }

    @Test func previewReturnsTheUnifiedDiff() throws {
        let result = try TextEdits.preview([TextEdit(oldText: "b\n", newText: "B\n")], to: "a\nb\nc\n", path: "x.txt")
        #expect(result.text == "a\nB\nc\n")
        #expect(result.diff == "--- x.txt\n+++ x.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n")
    }
}

@Suite struct UnifiedDiffTests {
    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.make(old: "a\n", new: "a\n", path: "p") == "")
    }

    @Test func separateChangesGetSeparateHunks() {
        let old = (1...20).map { "line \($0)\n" }.joined()
        var lines = (1...20).map { "line \($0)\n" }
        lines[1] = "changed 2\n"
        lines[17] = "changed 18\n"
        let diff = UnifiedDiff.make(old: old, new: lines.joined(), path: "f")
        #expect(diff == """
            --- f
            +++ f
            @@ -1,5 +1,5 @@
             line 1
            -line 2
            +changed 2
             line 3
             line 4
             line 5
            @@ -15,6 +15,6 @@
             line 15
             line 16
             line 17
            -line 18
            +changed 18
             line 19
             line 20

            """)
    }

    @Test func newFileAndMissingFinalNewline() {
        #expect(UnifiedDiff.make(old: "", new: "a\nb", path: "n") == "--- n\n+++ n\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n")
        #expect(UnifiedDiff.make(old: "a\n", new: "", path: "n") == "--- n\n+++ n\n@@ -1 +0,0 @@\n-a\n")
    }

    @Test func insertionInTheMiddleIsMinimal() {
        let diff = UnifiedDiff.make(old: "a\nb\nc\nd\n", new: "a\nb\nx\nc\nd\n", path: "f")
        #expect(diff == "--- f\n+++ f\n@@ -1,4 +1,5 @@\n a\n b\n+x\n c\n d\n")
    }

    @Test func randomEditsRoundTripThroughTheScript() {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<200 {
            let a = (0..<Int.random(in: 0..<30, using: &generator)).map { _ in "l\(Int.random(in: 0..<6, using: &generator))\n" }
            let b = (0..<Int.random(in: 0..<30, using: &generator)).map { _ in "l\(Int.random(in: 0..<6, using: &generator))\n" }
            let aa = a.map { Substring($0) }, bb = b.map { Substring($0) }
            let script = UnifiedDiff.script(aa, bb)
            var rebuiltOld: [Substring] = [], rebuiltNew: [Substring] = []
            for edit in script {
                switch edit {
                case .keep(let o, let n): rebuiltOld.append(aa[o]); rebuiltNew.append(bb[n])
                case .remove(let o): rebuiltOld.append(aa[o])
                case .insert(let n): rebuiltNew.append(bb[n])
                }
            }
            #expect(rebuiltOld == aa)
            #expect(rebuiltNew == bb)
        }
    }
}

