import Foundation
@testable import PodnetKernel
import Testing

extension KernelTests {
    @Suite struct NetnsExecTests {
        @Test(arguments: [SysfsView.host, .namespace])
        func ipLinkInsideShowsOnlyLoopback(sysfs: SysfsView) throws {
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let output = try thread.exec(Command(["ip", "-j", "link", "show"]), sysfs: sysfs)
                #expect(output.status == .exited(0), "\(output.standardErrorText)")
                let links = try JSONSerialization.jsonObject(with: Data(output.standardOutput)) as? [[String: Any]]
                #expect(links?.compactMap { $0["ifname"] as? String } == ["lo"])
            }
        }

        @Test func privateSysfsShowsTheNamespaceDevicesAndLeavesTheHostAlone() throws {
            let hostDevices = try host("ls", "/sys/class/net").standardOutputText
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let inside = try thread.exec(Command(["ls", "/sys/class/net"]), sysfs: .namespace)
                #expect(inside.standardOutputText == "lo\n")
                // Without it, /sys still describes the host, as for any thread of ours.
                let shared = try thread.exec(Command(["ls", "/sys/class/net"]), sysfs: .host)
                #expect(shared.standardOutputText == hostDevices)
            }
            #expect(try host("ls", "/sys/class/net").standardOutputText == hostDevices)
            let mounts = String(decoding: try SmallFile.read("/proc/self/mountinfo"), as: UTF8.self)
            #expect(mounts.split(separator: "\n").filter { $0.split(separator: " ")[4] == "/sys" }.count == 1)
        }

        @Test func statusOutputAndErrors() throws {
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let failing = try thread.exec(Command(["sh", "-c", "echo out; echo err >&2; exit 3"]), sysfs: .host)
                #expect(failing.status == .exited(3))
                #expect(failing.standardOutputText == "out\n")
                #expect(failing.standardErrorText == "err\n")
                let killed = try thread.exec(Command(["sh", "-c", "kill -9 $$"]), sysfs: .host)
                #expect(killed.status == .signaled(9))
                // Output larger than a pipe buffer on both streams at once must not deadlock.
                let big = try thread.exec(Command(["sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"]))
                #expect(big.standardOutput.count == 300_000 && big.standardError.count == 300_000)
                #expect(throws: CommandError.notFound("pntest-no-such-command")) {
                    try thread.exec(Command(["pntest-no-such-command"]))
                }
                let environment = try thread.exec(Command(["sh", "-c", "echo $PODNET_TEST"], environment: ["PODNET_TEST=set"]))
                #expect(environment.standardOutputText == "set\n")
            }
        }

        @Test func interactiveInheritsStdioAndReturnsStatus() throws {
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                #expect(try thread.execInteractive(Command(["true"])) == .exited(0))
                #expect(try thread.execInteractive(Command(["sh", "-c", "exit 5"]), sysfs: .host) == .exited(5))
            }
        }

        @Test func asyncExecRunsInside() async throws {
            try await withScratchNamespaces(2) { names async throws in
                let threads = try names.map { try NetnsThread(named: $0) }
                defer { for thread in threads { thread.close() } }
                // The inode the child sees, from `readlink /proc/self/ns/net` = "net:[inode]".
                async let first = threads[0].exec(Command(["readlink", "/proc/self/ns/net"]))
                async let second = threads[1].exec(Command(["readlink", "/proc/self/ns/net"]), sysfs: .host)
                #expect(try await first.standardOutputText == "\(threads[0].identity)\n")
                #expect(try await second.standardOutputText == "\(threads[1].identity)\n")
                #expect(try await threads[0].execInteractive(Command(["true"])) == .exited(0))
            }
        }

        /// What podnet relies on, checked for posix_spawn above and here for Foundation's
        /// Process: a child started from a thread inside a namespace is inside it too.
        @Test func foundationProcessFromTheNamespaceThreadIsInside() throws {
            // Process starts a helper thread once per process, from the first caller:
            // start it from here, outside, so it is not born in the namespace.
            try runProcess(["true"])
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let seen = try thread.run { try runProcess(["readlink", "/proc/self/ns/net"]) }
                #expect(seen == "\(thread.identity)\n")
            }
        }
    }
}

@discardableResult
private func runProcess(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
