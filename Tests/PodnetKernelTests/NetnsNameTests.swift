import PodnetKernel
import Testing

@Suite struct NetnsNameTests {
    @Test(arguments: ["pod-a", "node1.pod-b", "x", "with space", String(repeating: "n", count: 255), "ünïcode"])
    func accepts(_ text: String) throws {
        #expect(try NetnsName(text).rawValue == text)
    }

    @Test(arguments: [
        ("", "cannot be empty"),
        ("a/b", "cannot contain '/'"),
        ("/", "cannot contain '/'"),
        (".", "names a directory"),
        ("..", "names a directory"),
        ("a\u{0}b", "NUL byte"),
        (String(repeating: "n", count: 256), "at most 255 bytes, this one has 256"),
        (String(repeating: "é", count: 128), "at most 255 bytes, this one has 256"),
    ])
    func rejects(_ text: String, _ reason: String) {
        #expect {
            try NetnsName(text)
        } throws: { error in
            guard case NetnsError.invalidName(text, let message) = error else { return false }
            return message.contains(reason) && "\(error)".hasPrefix("invalid network namespace name")
        }
    }

    @Test func errorsReadWell() throws {
        let name = try NetnsName("pod-a")
        #expect("\(NetnsError.alreadyExists(name))" == "network namespace \"pod-a\" already exists")
        #expect("\(NetnsError.notFound(name))" == "network namespace \"pod-a\" does not exist")
        #expect("\(NetnsError.system("cannot open /run/netns/pod-a", .permissionDenied))"
                == "cannot open /run/netns/pod-a: Permission denied")
    }
}
