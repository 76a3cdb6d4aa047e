import Foundation
import PodnetAddress
import PodnetKernelModel
@testable import PodnetKernel
import Testing

/// The reader against a cluster built by hand with `ip`, the way seed 003 does it,
/// cross-checked with `ip -j`.
extension KernelTests {
    @Suite struct LiveStateReaderTests {
        /// A node with a bridge and one pod, plus a namespace named like the cluster's
        /// but unmarked. Always removed.
        func withHandMadeCluster(_ body: (String) throws -> Void) throws {
            let cluster = "pntr" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let node = "\(cluster).node-0", pod = "\(cluster).a0", stray = "\(cluster).stray"
            defer {
                for name in [node, pod, stray] { _ = try? host("ip", "netns", "del", name) }
                HomeCheck.expectUntouched()
            }
            let script = """
            ip netns add \(node) && ip netns add \(pod) && ip netns add \(stray) &&
            ip -n \(node) link set lo up alias podnet:\(cluster):node/node-0 &&
            ip -n \(pod) link set lo up alias podnet:\(cluster):pod/a0 &&
            ip -n \(node) link add br0 type bridge && ip -n \(node) link set br0 up alias podnet:\(cluster):node/node-0 &&
            ip -n \(node) addr add 10.200.0.1/24 dev br0 &&
            ip -n \(node) link add vethx mtu 1450 type veth peer name eth0 netns \(pod) mtu 1450 &&
            ip -n \(node) link set vethx master br0 up alias podnet:\(cluster):pod/a0 &&
            ip -n \(node) link set vethx type bridge_slave hairpin on &&
            ip -n \(node) link property add dev vethx altname pod-a0 &&
            ip -n \(pod) link set eth0 up alias podnet:\(cluster):pod/a0 &&
            ip -n \(pod) addr add 10.200.0.2/24 dev eth0 &&
            ip -n \(pod) route add default via 10.200.0.1 &&
            ip -n \(node) link add hand0 type bridge &&
            ip netns exec \(node) sysctl -qw net.ipv4.ip_forward=1
            """
            let made = try host("sh", "-c", script)
            try #require(made.status.isSuccess, "\(made.standardErrorText)")
            try body(cluster)
        }

        @Test func readsWhatIpMade() throws {
            try withHandMadeCluster { cluster in
                let state = try LiveStateReader().read(cluster: cluster)
                let node = NamespaceRef.named("\(cluster).node-0"), pod = NamespaceRef.named("\(cluster).a0")
                #expect(state.namespaces.keys.sorted() == ["\(cluster).a0", "\(cluster).node-0"])
                #expect(state.namespaces["\(cluster).a0"]?.mark.role == "pod/a0")
                // Made by ip netns add and left empty: unmarked, but holding nothing.
                #expect(state.emptyUnmarkedNamespaces == ["\(cluster).stray"])
                #expect(state.unownedNamespaces.isEmpty)

                let host = state.links[.init(node, "vethx")]
                #expect(host?.kind == .veth(peer: .init(pod, "eth0")))
                #expect(host?.master == "br0")
                #expect(host?.hairpin == true)
                #expect(host?.mtu == 1450)
                #expect(host?.up == true)
                #expect(host?.alternativeNames == ["pod-a0"])
                #expect(state.links[.init(pod, "eth0")]?.kind == .veth(peer: .init(node, "vethx")))
                #expect(state.links[.init(node, "br0")]?.kind == .bridge)
                #expect(state.links[.init(node, "lo")]?.kind == .loopback)
                // A link made by hand is read, unmarked: the planner leaves it alone.
                #expect(state.links[.init(node, "hand0")]?.mark == nil)

                #expect(state.addresses == [
                    Address(link: .init(node, "br0"), address: IPv4Prefix("10.200.0.1/24")!),
                    Address(link: .init(pod, "eth0"), address: IPv4Prefix("10.200.0.2/24")!),
                ])
                let route = state.routes[.init(namespace: pod, destination: IPv4Prefix("0.0.0.0/0")!)]
                #expect(route?.gateway == IPAddress("10.200.0.1"))
                #expect(route?.device == "eth0")
                #expect(route?.protocol == 3)
                #expect(state.routes[.init(namespace: pod, destination: IPv4Prefix("10.200.0.0/24")!)]?.protocol == 2)
                #expect(state.sysctls[.init(namespace: node, key: "net.ipv4.ip_forward")]?.value == "1")
                // Pods' namespaces are not looked up: the render sets no sysctl there.
                #expect(state.sysctls[.init(namespace: pod, key: "net.ipv4.ip_forward")] == nil)
            }
        }

        /// Each namespace is asked for exactly the keys given for it, and only those.
        /// A file in /run/netns named like the cluster's with no namespace mounted on it
        /// (left by a crashed tool): passed over, as ip netns list passes it over.
        @Test func theCensusTellsTheNamespacesApartAsTheReadDoes() throws {
            try withHandMadeCluster { cluster in
                // Another cluster's mark on lo, and an unmarked one holding a link:
                // neither is this cluster's, and neither is empty.
                let foreign = "\(cluster).foreign", busy = "\(cluster).busy"
                defer { for name in [foreign, busy] { _ = try? host("ip", "netns", "del", name) } }
                let made = try host("sh", "-c", """
                    ip netns add \(foreign) && ip -n \(foreign) link set lo alias podnet:\(cluster)x:pod/a0 &&
                    ip netns add \(busy) && ip -n \(busy) link add br9 type bridge
                    """)
                try #require(made.status.isSuccess, "\(made.standardErrorText)")
                let census = try LiveStateReader().census(of: cluster)
                #expect(census.owned == ["\(cluster).a0", "\(cluster).node-0"])
                #expect(census.emptyUnmarked == ["\(cluster).stray"])
                #expect(census.unowned == [foreign, busy])
                let state = try LiveStateReader().read(cluster: cluster)
                #expect(Set(census.owned) == Set(state.namespaces.keys))
                #expect(census.unowned == state.unownedNamespaces && census.emptyUnmarked == state.emptyUnmarkedNamespaces)
            }
        }

        @Test func aNameWithNoNamespaceMountedIsPassedOver() throws {
            try withHandMadeCluster { cluster in
                let ghost = "/run/netns/\(cluster).ghost"
                #expect(FileManager.default.createFile(atPath: ghost, contents: nil))
                defer { try? FileManager.default.removeItem(atPath: ghost) }
                let state = try LiveStateReader().read(cluster: cluster)
                #expect(state.namespaces.keys.sorted() == ["\(cluster).a0", "\(cluster).node-0"])
                #expect(!state.unownedNamespaces.contains("\(cluster).ghost"))
            }
        }

        /// A name that cannot be opened for another reason than being gone (here a
        /// symbolic link to itself; out of descriptors in real life) fails the read,
        /// naming it: taken for absent, it would have made apply plan a namespace that exists.
        @Test func aNameThatCannotBeOpenedFailsTheReadNamingIt() throws {
            try withHandMadeCluster { cluster in
                let loop = "/run/netns/\(cluster).loop"
                try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
                defer { try? FileManager.default.removeItem(atPath: loop) }
                #expect { try LiveStateReader().read(cluster: cluster) } throws: { "\($0)".contains(loop) }
            }
        }

        @Test func readsTheSysctlsGivenPerNamespace() throws {
            try withHandMadeCluster { cluster in
                let keys = ["\(cluster).node-0": ["net.ipv4.conf.br0.forwarding", "net.ipv4.ip_forward"]]
                let state = try LiveStateReader(sysctls: .byNamespace(keys)).read(cluster: cluster)
                let node = NamespaceRef.named("\(cluster).node-0")
                #expect(state.sysctls.keys.sorted() == [
                    Sysctl.ID(namespace: node, key: "net.ipv4.conf.br0.forwarding"), Sysctl.ID(namespace: node, key: "net.ipv4.ip_forward"),
                ])
                #expect(state.sysctls[.init(namespace: node, key: "net.ipv4.conf.br0.forwarding")]?.value == "1")
            }
        }

        @Test func agreesWithIpJSON() throws {
            try withHandMadeCluster { cluster in
                let state = try LiveStateReader().read(cluster: cluster)
                for member in ["node-0", "a0"] {
                    let name = "\(cluster).\(member)"
                    let output = try host("ip", "-j", "-n", name, "link", "show").standardOutputText
                    let links = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
                    let ipNames = Set(links.compactMap { $0["ifname"] as? String })
                    let ours = Set(state.links(in: .named(name)).map(\.id.name))
                    #expect(ours == ipNames, "\(name)")
                    for link in links {
                        guard let ifname = link["ifname"] as? String else { continue }
                        let read = state.links[.init(.named(name), ifname)]
                        #expect(read?.mtu == link["mtu"] as? Int, "\(name) \(ifname) mtu")
                        #expect(read?.mark?.alias == link["ifalias"] as? String, "\(name) \(ifname) alias")
                        #expect(read?.master == link["master"] as? String, "\(name) \(ifname) master")
                    }
                    let addressOutput = try host("ip", "-j", "-4", "-n", name, "addr", "show").standardOutputText
                    let addressLinks = try #require(try JSONSerialization.jsonObject(with: Data(addressOutput.utf8)) as? [[String: Any]])
                    var ipAddresses: Set<String> = []
                    for link in addressLinks where link["ifname"] as? String != "lo" {
                        for info in link["addr_info"] as? [[String: Any]] ?? [] {
                            ipAddresses.insert("\(info["local"]!)/\(info["prefixlen"]!)")
                        }
                    }
                    let ourAddresses = Set(state.addresses.filter { $0.link.namespace == .named(name) }.map(\.address.description))
                    #expect(ourAddresses == ipAddresses, "\(name)")
                }
            }
        }

        @Test func aClusterWithNothingLiveReadsEmpty() throws {
            let state = try LiveStateReader().read(cluster: "pntr-none-" + String(UInt32.random(in: 0...UInt32.max), radix: 36))
            #expect(state == KernelState())
        }
    }
}
