import PodnetAddress
import PodnetTopology
import Testing

/// Lab clients take underlay addresses after the nodes', from the same 4th host
/// upward; written ones are kept out of the nodes' way, and live ones stay.
@Suite struct ClientAllocationTests {
    static func cluster(nodes: String, clients: String) -> String {
        """
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes: \(nodes)
        clients: \(clients)
        """
    }

    @Test func clientsComeAfterTheNodesInDeclarationOrder() throws {
        let topology = try loadValid(Self.cluster(nodes: "[{ name: node-0 }, { name: node-1 }]",
                                                  clients: "[{ name: alice }, { name: bob }]"))
        #expect(topology.nodes.map(\.address) == [ip("192.168.64.4"), ip("192.168.64.5")])
        #expect(topology.clients == [Client(name: "alice", address: ip("192.168.64.6")),
                                     Client(name: "bob", address: ip("192.168.64.7"))])
    }

    @Test func aWrittenClientAddressIsSkippedByNodesAndClients() throws {
        let topology = try loadValid(Self.cluster(nodes: "[{ name: node-0 }, { name: node-1 }]",
                                                  clients: "[{ name: alice }, { name: bob, address: 192.168.64.5 }]"))
        #expect(topology.nodes.map(\.address) == [ip("192.168.64.4"), ip("192.168.64.6")])
        #expect(topology.clients.map(\.address) == [ip("192.168.64.7"), ip("192.168.64.5")])
    }

    @Test func liveClientAddressesAreKept() throws {
        let live = LiveAssignments(nodeAddresses: ["node-0": ip("192.168.64.4")],
                                   clientAddresses: ["alice": ip("192.168.64.5")])
        // node-1 is new: it must not take alice's address, though it comes first.
        let topology = try loadValid(Self.cluster(nodes: "[{ name: node-0 }, { name: node-1 }]",
                                                  clients: "[{ name: alice }, { name: bob }]"), live: live)
        #expect(topology.nodes.map(\.address) == [ip("192.168.64.4"), ip("192.168.64.6")])
        #expect(topology.clients.map(\.address) == [ip("192.168.64.5"), ip("192.168.64.7")])
    }

    @Test func aLiveClientAddressANodeIsNowWrittenWithMoves() throws {
        let live = LiveAssignments(clientAddresses: ["alice": ip("192.168.64.9")])
        let topology = try loadValid(Self.cluster(nodes: "[{ name: node-0, address: 192.168.64.9 }]",
                                                  clients: "[{ name: alice }]"), live: live)
        #expect(topology.nodes.map(\.address) == [ip("192.168.64.9")])
        #expect(topology.clients.map(\.address) == [ip("192.168.64.4")])
    }

    @Test func aClientMayNotTakeAWrittenNodeAddress() {
        #expect(errors(Self.cluster(nodes: "[{ name: node-0 }]", clients: "[{ name: alice, address: 192.168.64.4 }]")).isEmpty,
                "a written client address is held back from node allocation")
        let found = errors(Self.cluster(nodes: "[{ name: node-0 }, { name: node-1, address: 192.168.64.4 }]",
                                        clients: "[{ name: alice, address: 192.168.64.4 }]"))
        #expect(found == ["4:35 client 'alice' address 192.168.64.4 is taken by node 'node-1' (line 3); pick another address, or leave it out to have one allocated"])
    }

    @Test func clientsAreOptional() throws {
        let topology = try loadValid("name: lab\nclusterCIDR: 10.200.0.0/16\nnodes: [{ name: node-0 }]\n")
        #expect(topology.clients.isEmpty)
    }
}
