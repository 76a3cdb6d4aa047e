import PodnetYAML
import Testing

@Suite struct YAMLLoaderTests {
    let loader = YAMLLoader()

    @Test func keepsPositionsOfEveryNode() throws {
        let root = try #require(try loader.load("name: lab\nnodes:\n  - { name: node-0 }\n"))
        guard case .mapping(let entries) = root.content else { Issue.record("not a mapping"); return }
        #expect(entries.map { $0.key.scalar?.text } == ["name", "nodes"])
        #expect(entries[0].value.mark == SourceMark(line: 1, column: 7))
        guard case .sequence(let items) = entries[1].value.content, case .mapping(let node) = items[0].content else {
            Issue.record("nodes not a list of mappings"); return
        }
        #expect(items[0].mark == SourceMark(line: 3, column: 5))
        #expect(node[0].value.mark == SourceMark(line: 3, column: 13))
    }

    @Test func emptyTextIsNoDocument() throws {
        #expect(try loader.load("") == nil)
        #expect(try loader.load("# only a comment\n") == nil)
    }

    @Test func syntaxErrorsCarryTheirPosition() {
        #expect(throws: YAMLError.self) { try loader.load("a: [1, 2\nb: 3\n") }
        do {
            _ = try loader.load("a: b\n  c: d\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.mark.line == 2)
            #expect(error.message.contains("mapping values are not allowed"))
        }
    }

    @Test func duplicateKeysAreRejectedAtTheSecond() {
        do {
            _ = try loader.load("name: a\nclusterCIDR: x\nname: b\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.mark == SourceMark(line: 3, column: 1))
            #expect(error.message.contains("duplicate key 'name' (first given at line 1)"))
        }
    }

    @Test func aliasesExpandAndMergeKeysApply() throws {
        let text = """
        base: &web { app: web, tier: front }
        pod:
          <<: *web
          tier: back
        copy: *web
        """
        let root = try #require(try loader.load(text))
        guard case .mapping(let entries) = root.content, case .mapping(let pod) = entries[1].value.content else {
            Issue.record("unexpected shape"); return
        }
        let pairs = pod.map { ($0.key.scalar!.text, $0.value.scalar!.text) }
        #expect(pairs.map(\.0) == ["tier", "app"])
        #expect(pairs.first { $0.0 == "tier" }?.1 == "back")
        guard case .mapping(let copy) = entries[2].value.content else { Issue.record("alias not expanded"); return }
        #expect(copy.count == 2)
        #expect(entries[2].value.mark == SourceMark(line: 5, column: 7))
    }

    @Test func aliasBombFailsFast() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        do {
            _ = try loader.load(text)
            Issue.record("an alias bomb must fail")
        } catch {
            #expect(error.message.contains("aliases expand to more than"))
        }
    }

    @Test func unknownAliasIsAnError() {
        #expect(throws: YAMLError.self) { try loader.load("a: *nowhere\n") }
    }

    @Test func secondDocumentIsRejected() {
        do {
            _ = try loader.load("name: a\n---\nname: b\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.mark.line == 2)
            #expect(error.message.contains("one YAML document"))
        }
    }

    @Test func depthIsBounded() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: YAMLError.self) { try YAMLLoader(depthLimit: 200).load(deep) }
    }
}

@Suite struct YAMLScalarTests {
    @Test(arguments: [
        ("8080", YAMLValue.int(8080)), ("0x10", .int(16)), ("-3", .int(-3)), ("true", .bool(true)), ("False", .bool(false)),
        ("~", .null), ("null", .null), ("", .null), ("1.5", .float("1.5")), ("1e3", .float("1e3")), (".inf", .float(".inf")),
        ("yes", .string("yes")), ("10.200.0.2", .string("10.200.0.2")), ("node-0", .string("node-0")), ("10.200", .float("10.200")),
        // Names settled by their first letter, and the words that letter must not settle.
        ("a0", .string("a0")), ("web", .string("web")), ("Zone", .string("Zone")), ("nginx", .string("nginx")), ("tcp", .string("tcp")),
        ("NULL", .null), ("Null", .null), ("TRUE", .bool(true)), ("FALSE", .bool(false)), ("+1", .int(1)), ("-.inf", .float("-.inf")),
        (".NaN", .float(".NaN")),
    ])
    func plainScalarsResolveByTheCoreSchema(_ text: String, _ expected: YAMLValue) {
        #expect(YAMLScalar(text: text).resolved == expected)
    }

    /// isNull, which skips unset keys without resolving, agrees with resolved.
    @Test(arguments: [
        YAMLScalar(text: ""), YAMLScalar(text: "~"), YAMLScalar(text: "null"), YAMLScalar(text: "NULL"), YAMLScalar(text: "nil"),
        YAMLScalar(text: "node-0"), YAMLScalar(text: "0"), YAMLScalar(text: "null", style: .doubleQuoted),
        YAMLScalar(text: "~", tag: "tag:yaml.org,2002:str"), YAMLScalar(text: "x", tag: "tag:yaml.org,2002:null"),
        YAMLScalar(text: "~", tag: "tag:yaml.org,2002:int"), YAMLScalar(text: "~", tag: "!local"),
    ])
    func isNullAgreesWithResolution(_ scalar: YAMLScalar) {
        #expect(scalar.isNull == (scalar.resolved == .null), "\(scalar)")
    }

    @Test func quotedScalarsAreStrings() {
        #expect(YAMLScalar(text: "8080", style: .doubleQuoted).resolved == .string("8080"))
        #expect(YAMLScalar(text: "true", style: .singleQuoted).resolved == .string("true"))
    }

    @Test func explicitTagsWin() {
        #expect(YAMLScalar(text: "8080", tag: "tag:yaml.org,2002:str").resolved == .string("8080"))
        #expect(YAMLScalar(text: "42", style: .doubleQuoted, tag: "tag:yaml.org,2002:int").resolved == .int(42))
    }
}
