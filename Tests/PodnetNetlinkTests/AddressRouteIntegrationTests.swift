import Glibc
import PodnetAddress
import Testing
@testable import PodnetNetlink

/// Addresses and routes created for real, read back, cross-checked with `ip -j`.
@Suite(.enabled(if: isRoot, "needs root: creates network namespaces"))
struct AddressRouteIntegrationTests {
    /// A veth pair r0/r1 in one namespace, both up, r0 with 10.0.0.1/24.
    private func linkWithAddress(_ connection: NetlinkConnection) throws -> Int32 {
        var pair = LinkMessage(name: "r0", info: .veth(peer: LinkMessage(name: "r1")))
        pair.setUp(true)
        var peerUp = LinkMessage(name: "r1")
        peerUp.setUp(true)
        try connection.execute(.addLink(pair))
        try connection.execute(.setLink(peerUp))
        let index = try connection.requireLink("r0").index
        try connection.execute(.addAddress(AddressMessage(index: index, prefix: IPPrefix("10.0.0.1/24")!)))
        return index
    }

    @Test func addressAddReadDelete() throws {
        try withTestNamespaces(1) { namespaces in
            let namespace = namespaces[0]
            let connection = try namespace.connection()
            let index = try linkWithAddress(connection)

            // IPv4's only: r0 has its kernel-made IPv6 link-local address too.
            let addresses = try connection.addresses(family: .ipv4, linkIndex: index)
            #expect(addresses.count == 1)
            #expect(addresses.first?.prefix == IPPrefix("10.0.0.1/24"))
            #expect(addresses.first?.address == IPAddress.v4(IPv4Address(10, 0, 0, 1)))
            #expect(addresses.first?.scope == .universe)
            #expect(addresses.first?.label == "r0")
            // Unfiltered, lo's 127.0.0.1 is not there: lo is down and has no address yet.
            #expect(try connection.addresses(family: .ipv4).map(\.index) == [index])

            let ip = try field(namespace.ipJSON("-4", "addr", "show"), where: "ifname", is: "r0")
            let info = (ip["addr_info"] as? [[String: Any]])?.first
            #expect(info?["local"] as? String == "10.0.0.1")
            #expect(info?["prefixlen"] as? Int == 24)

            let address = AddressMessage(index: index, prefix: IPPrefix("10.0.0.1/24")!)
            let again = try connection.executeBatch([.addAddress(address)])
            #expect(again.outcomes[0].error?.kernelError?.isAlreadyExisting == true)

            try connection.execute(.deleteAddress(address))
            #expect(try connection.addresses(family: .ipv4, linkIndex: index).isEmpty)
            let missing = try connection.executeBatch([.deleteAddress(address)])
            #expect(missing.outcomes[0].error?.code == EADDRNOTAVAIL)
            #expect(missing.outcomes[0].error?.kernelError?.isNotFound == true)
        }
    }

    @Test func routesWithGatewayOnlinkTableProtocolAndMetric() throws {
        try withTestNamespaces(1) { namespaces in
            let namespace = namespaces[0]
            let connection = try namespace.connection()
            let index = try linkWithAddress(connection)

            let viaGateway = RouteMessage(destination: IPPrefix("10.244.1.0/24")!, gateway: IPAddress.v4(IPv4Address(10, 0, 0, 2)),
                                          outputInterface: index)
            // flannel's shape: a gateway outside every local subnet, reachable on the link.
            var onlink = RouteMessage(destination: IPPrefix("10.244.2.0/24")!, gateway: IPAddress.v4(IPv4Address(192, 168, 77, 1)),
                                      outputInterface: index, table: RouteTable(rawValue: 1000),
                                      protocol: RouteProtocol(rawValue: 250), flags: .onlink)
            onlink.priority = 20
            let direct = RouteMessage(destination: IPPrefix("10.96.0.0/12")!, outputInterface: index,
                                      protocol: .static)
            let result = try connection.executeBatch([.addRoute(viaGateway), .addRoute(onlink), .addRoute(direct)])
            #expect(result.allSucceeded, "\(result.outcomes)")

            let routes = try connection.routes()
            let main = routes.filter { $0.table == .main }
            #expect(main.contains(viaGateway))
            #expect(main.contains(direct))
            #expect(main.contains { $0.protocol == .kernel && $0.destinationPrefix == IPPrefix("10.0.0.0/24") },
                    "the prefix route the kernel adds for the address")
            #expect(routes.contains { $0.table == .local && $0.type == .local }, "dumps read every table")
            let table1000 = try connection.routes(table: RouteTable(rawValue: 1000))
            #expect(table1000 == [onlink])

            let ip = try namespace.ipJSON("route", "show", "table", "1000")
            let shown = try field(ip, where: "dst", is: "10.244.2.0/24")
            #expect(shown["gateway"] as? String == "192.168.77.1")
            #expect(shown["protocol"] as? String == "250")
            #expect(shown["metric"] as? Int == 20)
            #expect((shown["flags"] as? [String])?.contains("onlink") == true)
            let mainIP = try namespace.ipJSON("route", "show")
            #expect(try field(mainIP, where: "dst", is: "10.96.0.0/12")["scope"] as? String == "link")

            let existing = try connection.executeBatch([.addRoute(viaGateway)])
            #expect(existing.outcomes[0].error?.kernelError?.isAlreadyExisting == true)
            // replace is idempotent.
            try connection.execute(.addRoute(viaGateway, mode: .replace))

            try connection.execute(.deleteRoute(onlink))
            #expect(try connection.routes(table: RouteTable(rawValue: 1000)).isEmpty)
            let missing = try connection.executeBatch([.deleteRoute(onlink)])
            #expect(missing.outcomes[0].error?.code == ESRCH)
            #expect(missing.outcomes[0].error?.kernelError?.isNotFound == true)
        }
    }

    @Test func gatewayOffTheSubnetNeedsOnlink() throws {
        try withTestNamespaces(1) { namespaces in
            let connection = try namespaces[0].connection()
            let index = try linkWithAddress(connection)
            let route = RouteMessage(destination: IPPrefix("10.244.3.0/24")!, gateway: IPAddress.v4(IPv4Address(192, 168, 77, 1)),
                                     outputInterface: index)
            let result = try connection.executeBatch([.addRoute(route)])
            #expect(result.outcomes[0].error?.code == ENETUNREACH)
            #expect(result.outcomes[0].error?.kernelError?.message == "Nexthop has invalid gateway")
        }
    }

    /// IPv6: an address without DAD, usable at once and read back with its flag; a
    /// route via a gateway on its prefix, a default route (`::/0`), both read back
    /// equal to what was sent and as `ip -6 -j` shows them; the kernel's lookup
    /// (`ip -6 route get`) takes them. The link-local address the kernel gave r0 is
    /// there too, beside ours.
    @Test func ipv6AddressAndRoutesAddReadDelete() throws {
        try withTestNamespaces(1) { namespaces in
            let namespace = namespaces[0]
            let connection = try namespace.connection()
            let index = try linkWithAddress(connection)
            let address = AddressMessage(index: index, prefix: IPPrefix("fd00:10::1/64")!, flags: AddressMessage.noDAD)
            try connection.execute(.addAddress(address))

            // The kernel adds the link-local address once r0 has carrier, which its link
            // watch may report up to a second late (under load it did): wait for it.
            func isLinkLocal(_ message: AddressMessage) -> Bool { message.scope == .link && message.prefix?.description.hasPrefix("fe80::") == true }
            var read = try connection.addresses(family: .ipv6, linkIndex: index)
            for _ in 0..<30 where !read.contains(where: isLinkLocal) {
                usleep(100_000)
                read = try connection.addresses(family: .ipv6, linkIndex: index)
            }
            let ours = try #require(read.first { $0.prefix == IPPrefix("fd00:10::1/64") })
            #expect(ours.family == UInt8(AF_INET6))
            #expect(ours.flags & AddressMessage.noDAD != 0)
            #expect(read.contains(where: isLinkLocal))
            let info = (try field(namespace.ipJSON("-6", "addr", "show"), where: "ifname", is: "r0")["addr_info"] as? [[String: Any]]) ?? []
            #expect(info.contains { $0["local"] as? String == "fd00:10::1" && $0["nodad"] as? Bool == true && $0["tentative"] == nil },
                    "\(info)")
            // Both families in one dump.
            #expect(Set(try connection.addresses(linkIndex: index).map(\.family)) == [UInt8(AF_INET), UInt8(AF_INET6)])

            let viaGateway = RouteMessage(destination: IPPrefix("fd00:244:1::/64")!, gateway: IPAddress("fd00:10::2"), outputInterface: index)
            let defaultRoute = RouteMessage(destination: .everything(.ipv6), gateway: IPAddress("fd00:10::3"), outputInterface: index)
            let result = try connection.executeBatch([.addRoute(viaGateway), .addRoute(defaultRoute)])
            #expect(result.allSucceeded, "\(result.outcomes)")
            let routes = try connection.routes(family: .ipv6, table: .main)
            for sent in [viaGateway, defaultRoute] {
                let back = try #require(routes.first { $0.destinationPrefix == sent.destinationPrefix }, "\(sent.destinationPrefix)")
                #expect(back.gateway == sent.gateway && back.outputInterface == index && back.scope == .universe && back.protocol == .boot)
            }
            #expect(routes.contains { $0.destinationPrefix == IPPrefix("fd00:10::/64") && $0.protocol == .kernel })
            // Every family at once: the IPv4 prefix route and the IPv6 ones.
            let all = try connection.routes(family: nil, table: .main)
            #expect(all.contains { $0.destinationPrefix == IPPrefix("10.0.0.0/24") } && all.contains { $0.destinationPrefix == IPPrefix("fd00:244:1::/64") })
            let shown = try field(namespace.ipJSON("-6", "route", "show"), where: "dst", is: "fd00:244:1::/64")
            #expect(shown["gateway"] as? String == "fd00:10::2")
            #expect(try connection.route(to: IPAddress("fd00:244:1::9")!)?.gateway == IPAddress("fd00:10::2"))
            #expect(try connection.route(to: IPAddress("2001:db8::1")!)?.gateway == IPAddress("fd00:10::3"))

            try connection.execute(.deleteRoute(defaultRoute))
            #expect(try connection.routes(family: .ipv6, table: .main).allSatisfy { $0.destinationPrefix.length != 0 })
            try connection.execute(.deleteAddress(address))
            #expect(try connection.addresses(family: .ipv6, linkIndex: index).allSatisfy { $0.scope == .link })
        }
    }
}
