@testable import PodnetKernel
import Testing

extension KernelTests {
    @Suite struct SysctlTests {
        @Test func ipForwardChangesOnlyInsideTheNamespace() throws {
            let forwarding = try SysctlKey("net.ipv4.ip_forward")
            let hostBefore = try SysctlFile.read(forwarding)
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                // The opposite of the host's value, so that reading the wrong namespace shows.
                let wanted = hostBefore == "1" ? "0" : "1"
                try thread.sysctl(set: "net.ipv4.ip_forward", to: wanted)
                #expect(try thread.sysctl(get: "net.ipv4.ip_forward") == wanted)
                #expect(try SysctlFile.read(forwarding) == hostBefore)
                // iproute2 sees the same value from inside.
                let seen = try host("ip", "netns", "exec", names[0].rawValue, "cat", "/proc/sys/net/ipv4/ip_forward")
                #expect(seen.standardOutputText == wanted + "\n")
            }
            #expect(try SysctlFile.read(forwarding) == hostBefore)
        }

        @Test func rpFilterAndSlashedKeys() async throws {
            try await withScratchNamespaces(1) { names async throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                try await thread.sysctl(set: "net.ipv4.conf.all.rp_filter", to: "2")
                #expect(try await thread.sysctl(get: "net/ipv4/conf/all/rp_filter") == "2")
                #expect(try await thread.sysctl(get: "net.ipv4.conf.lo.rp_filter") == "0")
            }
        }

        @Test func typedErrors() throws {
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let missing = try SysctlKey("net.ipv4.conf.eth0.rp_filter")  // no eth0 in there
                #expect(throws: SysctlError.unknownKey(missing)) { try thread.sysctl(get: "net.ipv4.conf.eth0.rp_filter") }
                let forwarding = try SysctlKey("net.ipv4.ip_forward")
                #expect(throws: SysctlError.invalidValue(forwarding, "yes")) {
                    try thread.sysctl(set: "net.ipv4.ip_forward", to: "yes")
                }
                #expect(throws: SysctlError.self) { try thread.sysctl(set: "kernel.hostname", to: "pod") }
            }
        }
    }
}
