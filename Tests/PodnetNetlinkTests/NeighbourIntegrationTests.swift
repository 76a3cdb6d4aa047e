import Glibc
import PodnetAddress
import Testing
@testable import PodnetNetlink

/// Neighbour and FDB entries created for real, read back, cross-checked with iproute2.
@Suite(.enabled(if: isRoot, "needs root: creates network namespaces"))
struct NeighbourIntegrationTests {
    /// flannel's vxlan device: no learning, port 8472 left to the kernel's default.
    private func vxlan(_ connection: NetlinkConnection) throws -> Int32 {
        var device = LinkMessage(name: "flannel.1", info: .vxlan(VXLANInfo(id: 1, local: .v4(IPv4Address(10, 0, 0, 1)),
                                                                           learning: false)))
        device.setUp(true)
        try connection.execute(.addLink(device))
        return try connection.requireLink("flannel.1").index
    }

    @Test func permanentNeighbourAddReplaceDelete() throws {
        try withTestNamespaces(1) { namespaces in
            let namespace = namespaces[0]
            let connection = try namespace.connection()
            let index = try vxlan(connection)
            let ip = IPAddress.v4(IPv4Address(10, 244, 1, 0))
            let entry = NeighbourMessage.permanent(ip, at: MACAddress("02:00:00:00:01:01")!, onLink: index)
            try connection.execute(.addNeighbour(entry))

            // The entry's own: the kernel adds IPv6 ones of its own to an up device
            // (link-local multicast for router solicitations, MLD) whenever it gets to it,
            // and a dump reads both families.
            let live = try connection.neighbours().filter { $0.index == index && $0.destination == ip }
            #expect(live.count == 1)
            #expect(live.first?.destination == ip)
            #expect(live.first?.linkAddress == MACAddress("02:00:00:00:01:01"))
            #expect(live.first?.state == .permanent)

            let shown = try field(namespace.ipJSON("neigh", "show", "dev", "flannel.1"), where: "dst", is: "10.244.1.0")
            #expect(shown["lladdr"] as? String == "02:00:00:00:01:01")
            #expect(shown["state"] as? [String] == ["PERMANENT"])

            let duplicate = try connection.executeBatch([.addNeighbour(entry)])
            #expect(duplicate.outcomes[0].error?.kernelError?.isAlreadyExisting == true)
            // A node's VTEP MAC changes when it restarts: replace.
            let moved = NeighbourMessage.permanent(ip, at: MACAddress("02:00:00:00:01:02")!, onLink: index)
            try connection.execute(.addNeighbour(moved, mode: .replace))
            #expect(try connection.neighbours().first { $0.index == index && $0.destination == ip }?.linkAddress == MACAddress("02:00:00:00:01:02"))

            try connection.execute(.deleteNeighbour(moved))
            #expect(try connection.neighbours().filter { $0.index == index && $0.destination?.family == .ipv4 }.isEmpty)
            let missing = try connection.executeBatch([.deleteNeighbour(moved)])
            #expect(missing.outcomes[0].error?.code == ENOENT)
        }
    }

    @Test func forwardingEntriesOfAVXLANDevice() throws {
        try withTestNamespaces(1) { namespaces in
            let namespace = namespaces[0]
            let connection = try namespace.connection()
            let index = try vxlan(connection)
            let mac = MACAddress("02:00:00:00:01:01")!
            let flood = MACAddress.zero
            let result = try connection.executeBatch([
                .addNeighbour(.forwardingEntry(mac, remote: IPAddress.v4(IPv4Address(10, 0, 0, 2)), onLink: index)),
                // Two remotes under one MAC: append.
                .addNeighbour(.forwardingEntry(flood, remote: IPAddress.v4(IPv4Address(10, 0, 0, 2)), onLink: index), mode: .append),
                .addNeighbour(.forwardingEntry(flood, remote: IPAddress.v4(IPv4Address(10, 0, 0, 3)), onLink: index), mode: .append),
            ])
            #expect(result.allSucceeded, "\(result.outcomes)")

            let entries = try connection.forwardingEntries().filter { $0.index == index }
            let remoteOf = entries.filter { $0.linkAddress == mac }
            #expect(remoteOf.count == 1)
            #expect(remoteOf.first?.destination == IPAddress.v4(IPv4Address(10, 0, 0, 2)))
            #expect(remoteOf.first?.flags.contains(.self) == true)
            #expect(remoteOf.first?.state.contains(.permanent) == true)
            #expect(Set(entries.filter { $0.linkAddress == flood }.compactMap(\.destination)) ==
                    [IPAddress.v4(IPv4Address(10, 0, 0, 2)), IPAddress.v4(IPv4Address(10, 0, 0, 3))])

            let shown = try namespace.bridgeJSON("fdb", "show", "dev", "flannel.1")
            let row = try field(shown, where: "mac", is: "02:00:00:00:01:01")
            #expect(row["dst"] as? String == "10.0.0.2")
            #expect(row["state"] as? String == "permanent")
            #expect((row["flags"] as? [String])?.contains("self") == true)

            // Delete one remote of the all-zeros entry: NDA_DST picks it.
            try connection.execute(.deleteNeighbour(.forwardingEntry(flood, remote: IPAddress.v4(IPv4Address(10, 0, 0, 3)), onLink: index)))
            let after = try connection.forwardingEntries().filter { $0.index == index && $0.linkAddress == flood }
            #expect(after.compactMap(\.destination) == [IPAddress.v4(IPv4Address(10, 0, 0, 2))])
        }
    }

    @Test func bridgeForwardingEntriesNameTheirMaster() throws {
        try withTestNamespaces(1) { namespaces in
            let connection = try namespaces[0].connection()
            try connection.execute(.addLink(LinkMessage(name: "br0", info: .bridge)))
            try connection.execute(.addLink(LinkMessage(name: "b0", info: .veth(peer: LinkMessage(name: "b1")))))
            let bridge = try connection.requireLink("br0").index
            var port = LinkMessage(name: "b0")
            port.master = bridge
            try connection.execute(.setLink(port))
            let portIndex = try connection.requireLink("b0").index
            var entry = NeighbourMessage.forwardingEntry(MACAddress("02:00:00:00:02:02")!, remote: nil, onLink: portIndex)
            entry.flags = .master
            try connection.execute(.addNeighbour(entry))
            let found = try connection.forwardingEntries().first { $0.linkAddress == MACAddress("02:00:00:00:02:02") }
            #expect(found?.index == portIndex)
            #expect(found?.master == bridge)
            #expect(found?.destination == nil)
        }
    }

    /// An NDP entry, as static VXLAN gives each remote node's IPv6 endpoint: the same
    /// request with a 16-byte NDA_DST and AF_INET6, read back beside the ARP one.
    @Test func permanentIPv6NeighbourBesideTheIPv4One() throws {
        try withTestNamespaces(1) { namespaces in
            let namespace = namespaces[0]
            let connection = try namespace.connection()
            let index = try vxlan(connection)
            let mac = MACAddress("02:00:00:00:01:01")!
            let v4 = NeighbourMessage.permanent(IPAddress("10.244.1.0")!, at: mac, onLink: index)
            let v6 = NeighbourMessage.permanent(IPAddress("fd00:244:1::")!, at: mac, onLink: index)
            #expect(v6.family == UInt8(AF_INET6))
            try connection.execute(.addNeighbour(v4))
            try connection.execute(.addNeighbour(v6))

            let ndp = try connection.neighbours(family: .ipv6).filter { $0.index == index && $0.state.contains(.permanent) }
            #expect(ndp.map(\.destination) == [IPAddress("fd00:244:1::")])
            #expect(ndp.first?.linkAddress == mac)
            let both = try connection.neighbours().filter { $0.index == index && $0.state.contains(.permanent) }
            #expect(Set(both.compactMap(\.destination)) == [IPAddress("10.244.1.0")!, IPAddress("fd00:244:1::")!])
            let shown = try field(namespace.ipJSON("-6", "neigh", "show", "dev", "flannel.1"), where: "dst", is: "fd00:244:1::")
            #expect(shown["lladdr"] as? String == "02:00:00:00:01:01")
            #expect(shown["state"] as? [String] == ["PERMANENT"])

            try connection.execute(.deleteNeighbour(v6))
            #expect(try connection.neighbours(family: .ipv6).filter { $0.index == index && $0.state.contains(.permanent) }.isEmpty)
            #expect(try connection.neighbours(family: .ipv4).filter { $0.index == index }.count == 1)
        }
    }
}
