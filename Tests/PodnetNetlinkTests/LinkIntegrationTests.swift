import CMNL
import Glibc
import PodnetAddress
import Testing
@testable import PodnetNetlink

/// Links created for real in namespaces made for the test, read back with podnet's
/// dumps and cross-checked with `ip -j`.
@Suite(.enabled(if: isRoot, "needs root: creates network namespaces"))
struct LinkIntegrationTests {
    @Test func vethPeerIsBornInTheOtherNamespace() throws {
        try withTestNamespaces(2) { namespaces in
            let (host, pod) = (namespaces[0], namespaces[1])
            let hostConnection = try host.connection()
            let podDescriptor = try pod.openDescriptor()
            defer { close(podDescriptor) }

            var peer = LinkMessage(name: "eth0")
            peer.namespaceFD = podDescriptor
            peer.mtu = 1400
            peer.address = MACAddress("02:00:0a:f4:00:05")
            var link = LinkMessage(name: "pv0", info: .veth(peer: peer))
            link.mtu = 1400
            link.alias = "ignored at creation"
            link.setUp(true)
            try hostConnection.execute(.addLink(link))

            // The peer is brought up from its own namespace, by name.
            let podConnection = try pod.connection()
            var up = LinkMessage(name: "eth0")
            up.setUp(true)
            try podConnection.execute(.setLink(up))

            let hostEnd = try hostConnection.requireLink("pv0")
            #expect(hostEnd.info == .veth(peer: nil))
            #expect(hostEnd.mtu == 1400)
            #expect(hostEnd.isUp)
            #expect(hostEnd.linkNetnsID != nil, "the peer lives in another namespace")
            #expect(hostEnd.alias == nil, "the kernel ignores IFLA_IFALIAS when creating")

            let podEnd = try podConnection.requireLink("eth0")
            #expect(podEnd.info == .veth(peer: nil))
            #expect(podEnd.mtu == 1400)
            #expect(podEnd.address == MACAddress("02:00:0a:f4:00:05"))
            #expect(podEnd.isUp)
            #expect(podEnd.link == hostEnd.index)
            #expect(hostEnd.link == podEnd.index)
            #expect(try hostConnection.links().allSatisfy { $0.name != "eth0" }, "never created here")

            let ipHost = try field(host.ipJSON("link", "show"), where: "ifname", is: "pv0")
            #expect(ipHost["mtu"] as? Int == 1400)
            #expect(ipHost["link_netnsid"] != nil)
            let ipPod = try field(pod.ipJSON("link", "show"), where: "ifname", is: "eth0")
            #expect(ipPod["address"] as? String == "02:00:0a:f4:00:05")
            #expect((ipPod["flags"] as? [String])?.contains("UP") == true)
        }
    }

    @Test func echoReturnsTheCreatedLinkWithItsIndex() throws {
        try withTestNamespaces(1) { namespaces in
            let connection = try namespaces[0].connection()
            let result = try connection.executeBatch([
                .addLink(LinkMessage(name: "br0", info: .bridge)).echoed,
                .addLink(LinkMessage(name: "e0", info: .veth(peer: LinkMessage(name: "e1")))).echoed,
            ])
            let created = try result.outcomes.map { outcome -> LinkMessage in
                guard case let .succeeded(replies) = outcome, replies.count == 1 else {
                    throw LookupFailure(what: "echo in \(outcome)")
                }
                return try LinkMessage(decoding: replies[0])
            }
            #expect(created.map(\.name) == ["br0", "e0"])
            #expect(created[0].index == (try connection.requireLink("br0").index))
            #expect(created[1].index == (try connection.requireLink("e0").index))
        }
    }

    @Test func vethPeerCannotBeBornUp() throws {
        try withTestNamespaces(2) { namespaces in
            let podDescriptor = try namespaces[1].openDescriptor()
            defer { close(podDescriptor) }
            var peer = LinkMessage(name: "eth0")
            peer.namespaceFD = podDescriptor
            peer.setUp(true)
            let result = try namespaces[0].connection()
                .executeBatch([.addLink(LinkMessage(name: "pv0", info: .veth(peer: peer)))])
            // veth_open() of the peer runs before the ends are paired: ENOTCONN, and
            // nothing is left behind.
            #expect(result.outcomes[0].error?.code == ENOTCONN)
            #expect(try namespaces[0].connection().links().map(\.name) == ["lo"])
            #expect(try namespaces[1].connection().links().map(\.name) == ["lo"])
        }
    }

    @Test func bridgePortWithMasterHairpinAliasAlternativeNameAndMTU() throws {
        try withTestNamespaces(1) { namespaces in
            let namespace = namespaces[0]
            let connection = try namespace.connection()
            var bridge = LinkMessage(name: "br0", info: .bridge)
            bridge.setUp(true)
            try connection.execute(.addLink(bridge))
            try connection.execute(.addLink(LinkMessage(name: "v0", info: .veth(peer: LinkMessage(name: "v1")))))
            let bridgeIndex = try connection.requireLink("br0").index
            let port = try connection.requireLink("v0")
            #expect(port.port == nil, "not a bridge port yet")

            var change = LinkMessage(index: port.index)
            change.master = bridgeIndex
            change.mtu = 1450
            change.alias = "podnet:test:pod-port"
            change.setUp(true)
            // One pipelined batch: the set, the altname, then the hairpin flag, which
            // needs the link to be a port already (processed in order).
            let result = try connection.executeBatch([
                .setLink(change),
                .addAlternativeName("podnet-alternative-name", toLink: port.index),
                .setBridgePortHairpin(linkIndex: port.index, enabled: true),
            ])
            #expect(result.allSucceeded, "\(result.outcomes)")

            let changed = try connection.requireLink("v0")
            #expect(changed.master == bridgeIndex)
            #expect(changed.mtu == 1450)
            #expect(changed.alias == "podnet:test:pod-port")
            #expect(changed.alternativeNames == ["podnet-alternative-name"])
            #expect(changed.isUp)
            #expect(changed.port == .bridge(BridgePortInfo(hairpin: true, state: changed.bridgePortState, learning: true)))
            #expect(try connection.link(named: "podnet-alternative-name")?.index == port.index,
                    "the kernel finds a link by alternative name")

            let ip = try field(namespace.ipJSON("-d", "link", "show"), where: "ifname", is: "v0")
            #expect(ip["master"] as? String == "br0")
            #expect(ip["mtu"] as? Int == 1450)
            #expect(ip["ifalias"] as? String == "podnet:test:pod-port")
            #expect(ip["altnames"] as? [String] == ["podnet-alternative-name"])
            let slaveData = (ip["linkinfo"] as? [String: Any])?["info_slave_data"] as? [String: Any]
            #expect(slaveData?["hairpin"] as? Bool == true)

            // And back: hairpin off, detached, down, altname gone.
            var undo = LinkMessage(index: port.index)
            undo.master = 0
            undo.setUp(false)
            let undone = try connection.executeBatch([
                .setBridgePortHairpin(linkIndex: port.index, enabled: false),
                .setLink(undo),
                .deleteAlternativeName("podnet-alternative-name", fromLink: port.index),
            ])
            #expect(undone.allSucceeded, "\(undone.outcomes)")
            let restored = try connection.requireLink("v0")
            #expect(restored.master == nil)
            #expect(restored.port == nil)
            #expect(!restored.isUp)
            #expect(restored.alternativeNames.isEmpty)
        }
    }

    /// An IPv6 local address (IFLA_VXLAN_LOCAL6): the device's packets go over IPv6.
    @Test func vxlanWithAnIPv6LocalReadsBackAsCreated() throws {
        try withTestNamespaces(1) { namespaces in
            let connection = try namespaces[0].connection()
            let info = VXLANInfo(id: 7, local: .v6(IPv6Address("fd00:64::4")!), port: 4789, learning: false)
            try connection.execute(.addLink(LinkMessage(name: "vx6", info: .vxlan(info))))
            guard case let .vxlan(live) = try connection.requireLink("vx6").info else {
                Issue.record("vx6 is not a vxlan device")
                return
            }
            #expect(live.local == .v6(IPv6Address("fd00:64::4")!) && live.id == 7 && live.port == 4789)
            let ip = try field(namespaces[0].ipJSON("-d", "link", "show"), where: "ifname", is: "vx6")
            #expect(((ip["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any])?["local6"] as? String == "fd00:64::4")
        }
    }

    @Test func vxlanReadsBackAsCreated() throws {
        try withTestNamespaces(1) { namespaces in
            let namespace = namespaces[0]
            let connection = try namespace.connection()
            try connection.execute(.addLink(LinkMessage(name: "under0", info: .veth(peer: LinkMessage(name: "under1")))))
            let underlying = try connection.requireLink("under0").index
            let info = VXLANInfo(id: 42, local: .v4(IPv4Address(10, 0, 0, 1)), port: 4789, underlyingIndex: underlying,
                                 learning: false, ttl: 64)
            var vxlan = LinkMessage(name: "vx0", info: .vxlan(info))
            vxlan.mtu = 1450
            try connection.execute(.addLink(vxlan))

            let live = try connection.requireLink("vx0")
            guard case let .vxlan(liveInfo) = live.info else {
                Issue.record("vx0 is \(String(describing: live.info))")
                return
            }
            #expect(liveInfo == info)
            #expect(live.mtu == 1450)

            let ip = try field(namespace.ipJSON("-d", "link", "show"), where: "ifname", is: "vx0")
            let data = (ip["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any]
            #expect(data?["id"] as? Int == 42)
            #expect(data?["local"] as? String == "10.0.0.1")
            #expect(data?["port"] as? Int == 4789)
            #expect(data?["learning"] as? Bool == false)
            #expect(data?["ttl"] as? Int == 64)
            #expect(data?["link"] as? String == "under0")
        }
    }

    @Test(arguments: [LinkInfo.dummy, .ipip(IPIPInfo(local: IPv4Address(10, 0, 0, 1), remote: IPv4Address(10, 0, 0, 2)))])
    func missingLinkKindIsNamed(info: LinkInfo) throws {
        try withTestNamespaces(1) { namespaces in
            let connection = try namespaces[0].connection()
            let outcome = try connection.executeBatch([.addLink(LinkMessage(name: "x0", info: info))])
            guard case let .failed(.missingLinkKind(missing)) = outcome.outcomes[0] else {
                Issue.record("expected a missing '\(info.kind)' link kind, got \(outcome.outcomes[0])")
                return
            }
            #expect(missing.kind == info.kind)
            #expect(missing.kernelError.code == EOPNOTSUPP)
            #expect(missing.kernelError.message == "Unknown device type")
            #expect(missing.description.contains("the kernel has no '\(info.kind)' link type ("))
        }
    }

    @Test func existingAndMissingLinks() throws {
        try withTestNamespaces(1) { namespaces in
            let connection = try namespaces[0].connection()
            let pair = LinkMessage(name: "a0", info: .veth(peer: LinkMessage(name: "a1")))
            try connection.execute(.addLink(pair))

            #expect(throws: NetlinkError.self) { try connection.execute(.addLink(pair)) }
            do throws(NetlinkError) {
                try connection.execute(.addLink(pair))
            } catch {
                #expect(error.kernelError?.isAlreadyExisting == true)
                #expect(error.kernelError?.request == "RTM_NEWLINK a0 (veth)")
            }

            // Deleting one end deletes the pair.
            try connection.execute(.deleteLink(name: "a1"))
            #expect(try connection.links().map(\.name) == ["lo"])
            do throws(NetlinkError) {
                try connection.execute(.deleteLink(name: "a0"))
                Issue.record("deleted a link that is gone")
            } catch {
                #expect(error.kernelError?.code == ENODEV)
                #expect(error.kernelError?.isNotFound == true)
            }
            #expect(try connection.link(named: "a0") == nil)
        }
    }

    @Test func invalidValueReportsKernelTextAndOffset() throws {
        try withTestNamespaces(1) { namespaces in
            let connection = try namespaces[0].connection()
            try connection.execute(.addLink(LinkMessage(name: "m0", info: .veth(peer: LinkMessage(name: "m1")))))
            var change = LinkMessage(index: try connection.requireLink("m0").index)
            change.mtu = 10
            do throws(NetlinkError) {
                try connection.execute(.setLink(change))
                Issue.record("an MTU of 10 was accepted")
            } catch {
                #expect(error.kernelError?.code == EINVAL)
                #expect(error.kernelError?.message == "mtu less than device minimum")
                #expect(error.description.hasPrefix("RTM_SETLINK index"))
            }
        }
    }

    @Test func policyViolationPointsAtTheAttribute() throws {
        try withTestNamespaces(1) { namespaces in
            let connection = try namespaces[0].connection()
            // IFLA_IFNAME holds at most 15 bytes; the attribute starts right after
            // nlmsghdr (16) and ifinfomsg (16).
            let request = NetlinkRequest(type: UInt16(RTM_GETLINK), summary: "RTM_GETLINK overlong name") {
                LinkMessage().write(to: &$0)
                $0.put(IFLA_IFNAME, string: "a-name-longer-than-fifteen")
            }
            let result = try connection.executeBatch([request])
            let error = result.outcomes[0].error?.kernelError
            #expect(error?.code == ERANGE)
            #expect(error?.message == "Attribute failed policy validation")
            #expect(error?.attributeOffset == 32)
        }
    }

    @Test func pipelinedBatchCreatesManyPairsAndReportsTheDuplicate() throws {
        try withTestNamespaces(2) { namespaces in
            let (host, pod) = (namespaces[0], namespaces[1])
            let connection = try host.connection()
            let podDescriptor = try pod.openDescriptor()
            defer { close(podDescriptor) }
            var requests = (0..<60).map { number -> NetlinkRequest in
                var peer = LinkMessage(name: "p\(number)")
                peer.namespaceFD = podDescriptor
                return .addLink(LinkMessage(name: "h\(number)", info: .veth(peer: peer)))
            }
            // A duplicate in the middle of the first datagram.
            requests.insert(requests[10], at: 20)
            let result = try connection.executeBatch(requests, policy: .stopAtFirstError)
            #expect(result.firstFailure?.index == 20)
            #expect(result.firstFailure?.error.kernelError?.isAlreadyExisting == true)
            // Everything else fit in the same datagram, so the kernel did it all.
            #expect(result.outcomes.enumerated().allSatisfy { $0.offset == 20 || $0.element.isSuccess })
            #expect(try connection.links().count == 61)
            #expect(try pod.connection().links().count == 61)
        }
    }
}

extension LinkMessage {
    /// The STP state a dump reports for a bridge port, whatever it is.
    var bridgePortState: UInt8? {
        if case let .bridge(info) = port { return info.state }
        return nil
    }
}
