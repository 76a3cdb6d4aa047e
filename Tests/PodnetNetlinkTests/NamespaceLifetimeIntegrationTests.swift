import Glibc
import Testing
@testable import PodnetNetlink

/// What a netlink socket does when its namespace is deleted under it.
@Suite(.enabled(if: isRoot, "needs root: creates network namespaces"))
struct NamespaceLifetimeIntegrationTests {
    /// `ip netns del` only unmounts the name. The socket holds a reference on the
    /// namespace, which lives on, fully usable through the socket, with its links;
    /// when the socket is closed the kernel destroys the namespace, asynchronously,
    /// and a veth end outside it goes with it a moment later.
    @Test func socketKeepsADeletedNamespaceAlive() throws {
        try withTestNamespaces(2) { namespaces in
            let (host, pod) = (namespaces[0], namespaces[1])
            let hostConnection = try host.connection()
            var podConnection: NetlinkConnection? = try pod.connection()
            let podDescriptor = try pod.openDescriptor()
            var peer = LinkMessage(name: "eth0")
            peer.namespaceFD = podDescriptor
            try hostConnection.execute(.addLink(LinkMessage(name: "pv0", info: .veth(peer: peer))))
            close(podDescriptor)

            try run("/usr/sbin/ip", ["netns", "del", pod.name])
            #expect(try !run("/usr/sbin/ip", ["netns", "list"]).contains(pod.name))

            // Reading and writing through the socket still work.
            #expect(try podConnection!.links().compactMap(\.name).sorted() == ["eth0", "lo"])
            try podConnection!.execute(.addLink(LinkMessage(name: "br0", info: .bridge)))
            #expect(try podConnection!.links().count == 3)
            #expect(try hostConnection.links().contains { $0.name == "pv0" })

            // Closing the last reference destroys the namespace and the pair with it.
            podConnection = nil
            var gone = false
            for _ in 0..<100 where !gone {
                gone = try !hostConnection.links().contains { $0.name == "pv0" }
                if !gone { usleep(50_000) }
            }
            #expect(gone, "the host end should follow its peer's namespace within 5 s")
        }
    }
}
