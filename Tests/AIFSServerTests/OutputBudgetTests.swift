@testable import AIFSServer
import MCP
import Testing

/// The output budget's arithmetic, without a server: how many items fit, and what the
/// last resort cuts.
@Suite struct OutputBudgetTests {
    let budget = OutputBudget(bytes: 4096)

    func render(_ items: ArraySlice<String>) -> ToolOutput {
        ToolOutput(structured: ["items": .strings(Array(items))], text: items.joined(separator: "\n"))
    }

    @Test func fittingCountIsTheMostThatFit() {
        let items = (0..<1000).map { "item \($0) " + String(repeating: "x", count: 40) }
        let count = budget.fittingCount(items[...], render: render)
        #expect(budget.fits(render(items[..<count])))
        #expect(!budget.fits(render(items[..<(count + 2)])), "the page is full")
        // A later page counts from its own start.
        let later = budget.fittingCount(items[500...], render: render)
        #expect(budget.fits(render(items[500..<(500 + later)])))
        #expect(!budget.fits(render(items[500..<(502 + later)])))
        // Items of unequal sizes.
        let mixed = (0..<1000).map { String(repeating: "z", count: 1 + ($0 * 37) % 300) }
        let fitted = budget.fittingCount(mixed[...], render: render)
        #expect(budget.fits(render(mixed[..<fitted])))
        #expect(!budget.fits(render(mixed[..<(fitted + 2)])))
        // Everything when everything fits; nothing of nothing; one item too large on
        // its own still counts one (the last resort cuts it).
        #expect(budget.fittingCount(items[..<3], render: render) == 3)
        #expect(budget.fittingCount(items[0..<0], render: render) == 0)
        #expect(budget.fittingCount([String(repeating: "y", count: 10_000)][...], render: render) == 1)
    }

    @Test func enforceCutsBothFormsAndSaysSo() {
        let huge = String(repeating: "line with \"quotes\" and é\n", count: 2000)
        let output = ToolOutput(
            structured: ["diff": .string(huge), "paths": .strings((0..<500).map { "p\($0)" }), "applied": true],
            text: huge)
        let cut = budget.enforce(output)
        #expect(cut.text.utf8.count <= budget.bytes)
        #expect(cut.text.hasSuffix("ask for less]"))
        #expect(OutputBudget.size(of: cut.structured) <= budget.bytes)
        #expect(cut.structured.objectValue?["truncated"] == true)
        #expect(cut.structured.objectValue?["applied"] == true, "small fields stay whole")
        #expect(cut.structured.objectValue?["diff"]?.stringValue?.hasSuffix("…") == true)
        // Valid UTF-8 cut at a character boundary: é is two bytes.
        #expect(OutputBudget.prefix("é", bytes: 1) == "")
        // What fits is left alone.
        let small = ToolOutput(structured: ["a": 1], text: "a")
        #expect(budget.enforce(small).text == "a")
        #expect(budget.enforce(small).structured == ["a": 1])
    }
}
