import Foundation
@testable import PodnetKernel
import Testing

/// The wait for veths to carry traffic, against veths made by hand: one end up and its
/// peer down has no carrier, and is waited for until the timeout; brought up, it ends
/// the wait, though only its namespace is looked at again after the first look.
extension KernelTests {
    @Suite struct CarrierWaitTests {
        @Test func aVethWithoutCarrierIsNamedAndEndsTheWaitOnceItHasOne() throws {
            let cluster = "pnscw" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let near = "\(cluster).near", far = "\(cluster).far", idle = "\(cluster).idle"
            defer { for name in [near, far, idle] { _ = try? host("ip", "netns", "del", name) } }
            let made = try host("sh", "-c", """
                ip netns add \(near) && ip netns add \(far) && ip netns add \(idle) &&
                ip -n \(near) link add v0 type veth peer name v1 netns \(far) &&
                ip -n \(near) link set v0 up alias podnet:\(cluster):pod/a &&
                ip -n \(far) link set v1 alias podnet:\(cluster):pod/a &&
                ip -n \(idle) link set lo up
                """)
            try #require(made.status.isSuccess, "\(made.standardErrorText)")

            let waiting = try CarrierWait.untilVethsAreUp(cluster: cluster, host: nil, timeout: 0.2)
            #expect(waiting == ["v0 in \(near)"])

            // Brought up while the wait is on, after its first look (most likely: if
            // before, the wait simply finds it up at once).
            let bringUp = Thread {
                usleep(100_000)
                _ = try? host("ip", "-n", far, "link", "set", "v1", "up")
            }
            bringUp.start()
            #expect(try CarrierWait.untilVethsAreUp(cluster: cluster, host: nil, timeout: 10).isEmpty)
            #expect(try host("ip", "-n", far, "-o", "link", "show", "v1").standardOutputText.contains("state UP"))
        }
    }
}
