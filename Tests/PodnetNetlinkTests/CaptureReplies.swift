import Foundation
import PodnetAddress
import Testing
@testable import PodnetNetlink

/// Not a test: prints real kernel replies as hex, to refresh the captures embedded in
/// CapturedReplyTests. Run as root with PODNET_CAPTURE_REPLIES=1:
/// `PODNET_CAPTURE_REPLIES=1 swift test --filter CaptureReplies`.
@Suite(.enabled(if: isRoot && ProcessInfo.processInfo.environment["PODNET_CAPTURE_REPLIES"] != nil))
struct CaptureReplies {
    @Test func printReplies() throws {
        try withTestNamespaces(1) { namespaces in
            let connection = try namespaces[0].connection()
            var bridge = LinkMessage(name: "br0", info: .bridge)
            bridge.setUp(true)
            var pair = LinkMessage(name: "v0", info: .veth(peer: LinkMessage(name: "v1")))
            pair.address = MACAddress("02:00:00:00:00:10")
            try connection.execute(.addLink(bridge))
            try connection.execute(.addLink(pair))
            let bridgeIndex = try connection.requireLink("br0").index
            let v0 = try connection.requireLink("v0").index
            var port = LinkMessage(index: v0)
            port.master = bridgeIndex
            port.mtu = 1450
            port.alias = "podnet:demo:pod"
            port.setUp(true)
            var vxlan = LinkMessage(name: "vx0", info: .vxlan(VXLANInfo(id: 42, local: .v4(IPv4Address(10, 0, 0, 1)),
                                                                        port: 4789, underlyingIndex: v0,
                                                                        learning: false, ttl: 64)))
            vxlan.address = MACAddress("02:00:00:00:00:42")
            let setUp = try connection.executeBatch([
                .setLink(port), .addAlternativeName("pod-port-alternative", toLink: v0),
                .setBridgePortHairpin(linkIndex: v0, enabled: true), .addLink(vxlan),
            ])
            #expect(setUp.allSucceeded)
            let vx0 = try connection.requireLink("vx0").index
            let objects = try connection.executeBatch([
                .addAddress(AddressMessage(index: v0, prefix: IPPrefix("10.0.0.1/24")!)),
                .addRoute(RouteMessage(destination: IPPrefix("10.244.1.0/24")!, gateway: IPAddress.v4(IPv4Address(10, 0, 0, 2)),
                                       outputInterface: v0, table: RouteTable(rawValue: 1000),
                                       protocol: RouteProtocol(rawValue: 250), flags: .onlink)),
                .addNeighbour(.permanent(IPAddress.v4(IPv4Address(10, 244, 1, 0)), at: MACAddress("02:00:00:00:01:01")!, onLink: vx0)),
                .addNeighbour(.forwardingEntry(MACAddress("02:00:00:00:01:01")!, remote: IPAddress.v4(IPv4Address(10, 0, 0, 2)), onLink: vx0)),
            ])
            #expect(objects.allSucceeded)

            func show(_ title: String, _ messages: [NetlinkMessage]) {
                for message in messages {
                    var writer = NetlinkWriter()
                    writer.message(type: message.type, flags: message.flags, sequence: message.sequence,
                                   portID: message.portID) { $0.append(contentsOf: message.payload) }
                    print("CAPTURE \(title)\n\(hexDump(writer.bytes))\nEND")
                }
            }
            let links = try connection.dump(.dumpLinks())
            show("link v0", links.filter { (try? LinkMessage(decoding: $0).name) == "v0" })
            show("link vx0", links.filter { (try? LinkMessage(decoding: $0).name) == "vx0" })
            show("address", try connection.dump(.dumpAddresses(linkIndex: v0)))
            show("route", try connection.dump(.dumpRoutes(table: RouteTable(rawValue: 1000))))
            show("neighbour", try connection.dump(.dumpNeighbours()).filter { (try? NeighbourMessage(decoding: $0).index) == vx0 })
            show("fdb", try connection.dump(.dumpForwardingEntries()).filter {
                (try? NeighbourMessage(decoding: $0))?.linkAddress == MACAddress("02:00:00:00:01:01")
            })
        }
    }
}
