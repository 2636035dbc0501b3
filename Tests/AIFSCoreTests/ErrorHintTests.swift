import AIFSCore
import Testing

/// Errors name what the user can do (a hint) without naming any face's tools or
/// flags; each face words the hint its own way.
@Suite struct ErrorHintTests {
    @Test func aFaceReplacesTheNeutralAdvice() {
        let error = CoreError(
            .isADirectory, "cannot read 'd': it is a directory; \(ErrorHint.listDirectory.advice)", path: "d", hint: .listDirectory)
        #expect(error.message == "cannot read 'd': it is a directory; list it, or pass a file")
        #expect(error.message { _ in "list it with ls, or pass a file" } == "cannot read 'd': it is a directory; list it with ls, or pass a file")
        // A face with nothing to say keeps the neutral words.
        #expect(error.message { _ in nil } == error.message)
    }

    @Test func adviceIsAppendedWhenTheMessageDoesNotEndWithIt() {
        let error = CoreError(.alreadyExists, "cannot put 'a' at 'b': it already exists", hint: .allowOverwrite)
        #expect(error.message { _ in "pass --overwrite" } == "cannot put 'a' at 'b': it already exists; pass --overwrite")
        let plain = CoreError(.io, "cannot read 'x': I/O error")
        #expect(plain.hint == nil)
        #expect(plain.message { _ in "never" } == plain.message)
    }
}
