import Glibc
import PodnetAddress
@testable import PodnetKernel
import Testing

/// The probes over IPv6 and both families at once, in scratch namespaces (pnc6-):
/// "pods" a and b joined by a veth, each with an IPv4 and an IPv6 address (nodad:
/// DAD would hold them tentative for a second), and c with nothing but lo. The veth's
/// ends get ifindexes of their own (10 and 20): two fresh namespaces would number both
/// 2, and then the kernel's link watch treats the pair's carrier as not urgent, and
/// the pair drops packets for up to a second (README, "the same ifindex"); IPv6's
/// first connections, behind neighbour discovery's one-second retransmission, then
/// timed out in loaded full runs (CI, twice) where IPv4's retransmitted SYN got through.
extension KernelTests {
    @Suite struct ConnectivityProbeIPv6Tests {
        static let a4 = IPv4Address("10.78.0.1")!, b4 = IPv4Address("10.78.0.2")!
        static let a6 = IPv6Address("fd00:78::1")!, b6 = IPv6Address("fd00:78::2")!
        static let nobody6 = IPv6Address("fd00:78::9")!

        func withPods(_ body: (_ a: NetnsHandle, _ b: NetnsHandle, _ c: NetnsHandle, _ names: [NetnsName]) throws -> Void) throws {
            try withScratchNamespaces(3, prefix: "pnc6-") { names in
                let (a, b, c) = (names[0].rawValue, names[1].rawValue, names[2].rawValue)
                let made = try host("sh", "-c", """
                    ip -n \(a) link add eth0 index 10 type veth peer name eth0 index 20 netns \(b) &&
                    ip -n \(a) addr add \(Self.a4)/24 dev eth0 && ip -n \(b) addr add \(Self.b4)/24 dev eth0 &&
                    ip -n \(a) -6 addr add \(Self.a6)/64 dev eth0 nodad && ip -n \(b) -6 addr add \(Self.b6)/64 dev eth0 nodad &&
                    ip -n \(a) link set eth0 up && ip -n \(b) link set eth0 up &&
                    ip -n \(a) link set lo up && ip -n \(b) link set lo up && ip -n \(c) link set lo up
                    """)
                try #require(made.status.isSuccess, "\(made.standardErrorText)")
                let directory = NetnsDirectory()
                try body(try directory.open(names[0]), try directory.open(names[1]), try directory.open(names[2]), names)
            }
        }

        /// One sweep over both families: each destination answered in its own
        /// family (an ICMPv6 echo reply is told from an ICMP one by the socket it
        /// arrives on), an IPv6 address nobody holds times out (no neighbour
        /// answers), c is refused by its own kernel in both.
        @Test func echoSweepPingsBothFamiliesInOneRun() throws {
            try withPods { _, _, _, names in
                let sweep = EchoSweep(destinations: [.v4(Self.a4), .v6(Self.a6), .v4(Self.b4), .v6(Self.b6), .v6(Self.nobody6)],
                                      timeout: .milliseconds(800))
                let results = sweep.run(from: names)
                let (fromA, fromB, fromC) = (try results[0].get(), try results[1].get(), try results[2].get())
                let expected: [EchoOutcome] = [.replied, .replied, .replied, .replied, .timedOut]
                #expect(fromA == expected)
                #expect(fromB == expected)
                let unrouted = EchoOutcome.unreachable(.local(Errno(rawValue: ENETUNREACH)))
                #expect(fromC == Array(repeating: unrouted, count: 5))
            }
        }

        /// An ICMPv6 error about our request settles the pair at once, with the
        /// reporter and ICMPv6's reason: b rejects the prefix by a route of its own.
        @Test func anICMPv6ErrorSettlesThePair() throws {
            try withPods { _, _, _, names in
                let (a, b) = (names[0].rawValue, names[1].rawValue)
                let routed = try host("sh", "-c", """
                    ip -n \(a) -6 route add fd00:79::/64 via \(Self.b6) &&
                    ip netns exec \(b) sysctl -qw net.ipv6.conf.all.forwarding=1 &&
                    ip -n \(b) -6 route add prohibit fd00:79::/64
                    """)
                try #require(routed.status.isSuccess, "\(routed.standardErrorText)")
                let started = ContinuousClock.now
                let results = EchoSweep(destinations: [.v6(IPv6Address("fd00:79::5")!)], timeout: .seconds(3)).run(from: [names[0]])
                let outcomes = try results[0].get()
                #expect(outcomes == [.unreachable(.icmp(type: 1, code: 1, reporter: .v6(Self.b6)))])
                #expect(ContinuousClock.now - started < .seconds(2))
            }
        }

        /// TCP and UDP listeners per family on one port, each answering its own
        /// family's clients with the client's address as it saw it.
        @Test func listenersAnswerEachFamilyOnTheSamePort() throws {
            try withPods { a, b, c, _ in
                let specs: [AnsweringListeners.Spec] = AddressFamily.allCases.flatMap { family in
                    [AnsweringListeners.Spec(port: 8080, protocol: .tcp, answer: "b", tellsSource: true, family: family),
                     AnsweringListeners.Spec(port: 5353, protocol: .udp, answer: "b", tellsSource: true, family: family)]
                }
                let listeners = try AnsweringListeners([(b, specs)])
                defer { listeners.stop() }
                #expect(listeners.count == 4)
                let outcomes = ConnectionSweep().run([
                    ConnectionProbe(source: 0, destination: SocketAddress(.v6(Self.b6), port: 8080), protocol: .tcp, count: 3),
                    ConnectionProbe(source: 0, destination: SocketAddress(.v6(Self.b6), port: 5353), protocol: .udp, count: 3),
                    ConnectionProbe(source: 0, destination: SocketAddress(.v4(Self.b4), port: 8080), protocol: .tcp, count: 2),
                    ConnectionProbe(source: 0, destination: SocketAddress(.v4(Self.b4), port: 5353), protocol: .udp, count: 2),
                    ConnectionProbe(source: 0, destination: SocketAddress(.v6(Self.b6), port: 8081), protocol: .tcp, count: 2),
                    ConnectionProbe(source: 0, destination: SocketAddress(.v6(Self.b6), port: 5354), protocol: .udp, count: 2),
                    ConnectionProbe(source: 1, destination: SocketAddress(.v6(Self.b6), port: 8080), protocol: .tcp, count: 1),
                ], from: [a, c])
                #expect(outcomes[0] == Array(repeating: .answered("b \(Self.a6)"), count: 3))
                #expect(outcomes[1] == Array(repeating: .answered("b \(Self.a6)"), count: 3))
                #expect(outcomes[2] == Array(repeating: .answered("b \(Self.a4)"), count: 2))
                #expect(outcomes[3] == Array(repeating: .answered("b \(Self.a4)"), count: 2))
                // A reset, and ICMPv6 port unreachable: refused in IPv6 as in IPv4.
                #expect(outcomes[4] == Array(repeating: .refused, count: 2))
                #expect(outcomes[5] == Array(repeating: .refused, count: 2))
                #expect(outcomes[6] == [.unreachable(Errno(rawValue: ENETUNREACH))])
            }
        }

        /// An IPv4-only listener leaves IPv6 refused, and the other way round: the
        /// families' sockets are apart (IPV6_V6ONLY), so a check sees each family's
        /// data plane alone.
        @Test func aListenerServesItsFamilyOnly() throws {
            try withPods { a, b, _, _ in
                let listeners = try AnsweringListeners([(b, [.init(port: 8080, protocol: .tcp, answer: "b4"),
                                                             .init(port: 9090, protocol: .tcp, answer: "b6", family: .ipv6)])])
                defer { listeners.stop() }
                let outcomes = ConnectionSweep().run([
                    ConnectionProbe(source: 0, destination: SocketAddress(.v4(Self.b4), port: 8080), protocol: .tcp, count: 1),
                    ConnectionProbe(source: 0, destination: SocketAddress(.v6(Self.b6), port: 8080), protocol: .tcp, count: 1),
                    ConnectionProbe(source: 0, destination: SocketAddress(.v6(Self.b6), port: 9090), protocol: .tcp, count: 1),
                    ConnectionProbe(source: 0, destination: SocketAddress(.v4(Self.b4), port: 9090), protocol: .tcp, count: 1),
                ], from: [a])
                #expect(outcomes == [[.answered("b4")], [.refused], [.answered("b6")], [.refused]])
            }
        }

        @Test func anIPv6PortTakenByAnotherServerIsRefused() throws {
            try withPods { _, b, _, _ in
                let first = try AnsweringListeners([(b, [.init(port: 8080, protocol: .tcp, answer: "b", family: .ipv6)])])
                defer { first.stop() }
                #expect(throws: ListenerError.portInUse(namespace: b.path, port: 8080, protocol: .tcp)) {
                    try AnsweringListeners([(b, [.init(port: 8080, protocol: .tcp, answer: "b", family: .ipv6)])])
                }
                // The IPv4 port of the same number is another socket, free.
                let v4 = try AnsweringListeners([(b, [.init(port: 8080, protocol: .tcp, answer: "b")])])
                v4.stop()
            }
        }

        @Test func socketAddressesReadInTheirFamilysNotation() {
            #expect(SocketAddress(.v6(Self.a6), port: 80).description == "[fd00:78::1]:80")
            #expect(SocketAddress(Self.a4, port: 80).description == "10.78.0.1:80")
            #expect(SocketAddress.any(port: 53, family: .ipv6).description == "[::]:53")
        }
    }
}
