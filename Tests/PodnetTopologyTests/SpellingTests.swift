@testable import PodnetTopology
import Testing

@Suite struct SpellingTests {
    @Test func editDistance() {
        #expect(Spelling.editDistance("podcidr", "podcidr") == 0)
        #expect(Spelling.editDistance("node-o", "node-0") == 1)
        #expect(Spelling.editDistance("vxlna", "vxlan") == 1)     // a transposition is one edit
        #expect(Spelling.editDistance("", "abc") == 3)
    }

    @Test func suggestions() {
        #expect(Spelling.suggestion(for: "podCidr", among: ["podCIDR", "name"]) == "podCIDR")
        #expect(Spelling.suggestion(for: "servces", among: ["services", "serviceCIDR"]) == "services")
        #expect(Spelling.suggestion(for: "foo", among: ["name", "nodes"]) == nil)
        #expect(Spelling.suggestion(for: "x", among: [String]()) == nil)
    }
}
