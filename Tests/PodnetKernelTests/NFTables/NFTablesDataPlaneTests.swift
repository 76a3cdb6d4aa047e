import Foundation
import Glibc
@testable import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// Real traffic through the rendered table: a node namespace with a bridge holding
/// the pods' gateway (hairpin on its ports, as podnet makes them), two endpoint pods
/// answering with their name, and a client pod, all made with `ip` in namespaces
/// the test creates. Nothing leaves those namespaces.
extension KernelTests {
    @Suite struct NFTablesDataPlaneTests {
        static let topology = """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        network: { backend: host-gw }
        nodes:
          - { name: node-0, podCIDR: 10.200.0.0/24, bridge: br0 }
        pods:
          - { name: e1, node: node-0, ip: 10.200.0.2, labels: { app: web } }
          - { name: e2, node: node-0, ip: 10.200.0.3, labels: { app: web } }
          - { name: client, node: node-0, ip: 10.200.0.4 }
        services:
          - name: web
            clusterIP: 10.96.0.2
            selector: { app: web }
            ports: [ { port: 8080 } ]
          - name: nobody
            clusterIP: 10.96.0.3
            endpoints: []
            ports: [ { port: 80 } ]
        """

        /// Answers every connection with its name and the caller's address, until a
        /// minute without one; on IPv4's 0.0.0.0, or on the address given after the
        /// name (`::` for IPv6).
        static let server = """
        import socket, sys
        name = sys.argv[1].encode()
        bind = sys.argv[2] if len(sys.argv) > 2 else "0.0.0.0"
        s = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((bind, 8080)); s.listen(128); s.settimeout(60)
        while True:
            try:
                c, peer = s.accept()
            except socket.timeout:
                break
            c.sendall(name + b" " + peer[0].encode()); c.close()
        """

        /// `wait IP…`: until each answers directly; `count IP PORT N`: how often each
        /// server answered seeing each caller address ("e1 10.200.0.4"), as JSON;
        /// `refused IP PORT`: "refused", "connected" or the errno's name.
        static let client = """
        import errno, json, socket, sys, time
        def ask(ip, port, timeout=10):
            s = socket.create_connection((ip, port), timeout=timeout)
            try:
                data = b""
                while True:
                    chunk = s.recv(64)
                    if not chunk:
                        return data.decode()
                    data += chunk
            finally:
                s.close()
        mode = sys.argv[1]
        if mode == "wait":
            for target in sys.argv[2:]:
                for _ in range(200):
                    try:
                        ask(target, 8080, 1); break
                    except OSError:
                        time.sleep(0.05)
        elif mode == "count":
            counts = {}
            for _ in range(int(sys.argv[4])):
                name = ask(sys.argv[2], int(sys.argv[3]))
                counts[name] = counts.get(name, 0) + 1
            print(json.dumps(counts))
        else:
            try:
                ask(sys.argv[2], int(sys.argv[3]), 10); print("connected")
            except ConnectionRefusedError:
                print("refused")
            except OSError as e:
                print(errno.errorcode.get(e.errno, str(e)))
        """

        @Test func clusterIPTrafficIsBalancedHairpinsAndIsRefusedWithoutEndpoints() throws {
            try withScratchNamespaces(5) { names in
                let (node, pods) = (names[0].rawValue, [("e1", names[1].rawValue, "10.200.0.2"),
                                                        ("e2", names[2].rawValue, "10.200.0.3"),
                                                        ("client", names[3].rawValue, "10.200.0.4")])
                let outside = names[4].rawValue
                try Self.buildNode(node, pods: pods.map { ($0.1, $0.2) })
                // The underlay: the node's eth0 (192.168.64.4) and a host beyond it that
                // has no route back to the pods.
                try Self.ip(node, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", outside)
                try Self.ip(node, "addr", "add", "192.168.64.4/24", "dev", "eth0")
                try Self.ip(node, "link", "set", "eth0", "up")
                try Self.ip(outside, "addr", "add", "192.168.64.1/24", "dev", "eth0")
                try Self.ip(outside, "link", "set", "eth0", "up")

                let loaded = TopologyLoader.load(text: Self.topology, file: "dataplane.yaml")
                let topology = try #require(loaded.topology)
                let table = try #require(NFTablesProxyRenderer(topology: topology).table(forNode: topology.nodes[0], in: .named(node)))
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                try driver.apply(NFTablesDiff.changes(live: nil, desired: table))

                let servers = try Self.startServers([(pods[0].0, pods[0].1), (pods[1].0, pods[1].1), ("outside", outside)])
                defer { Self.stop(servers) }
                let client = pods[2].1
                try Self.python(client, "wait", "10.200.0.2", "10.200.0.3")
                try Self.python(node, "wait", "192.168.64.1")

                // From a client pod: both endpoints answer, roughly evenly, and see the
                // client's own address (service traffic is not masqueraded).
                let counts = try Self.counts(client, "10.96.0.2", 8080, 100)
                #expect(counts.values.reduce(0, +) == 100)
                #expect(Set(counts.keys) == ["e1 10.200.0.4", "e2 10.200.0.4"], "\(counts)")
                #expect(counts.values.allSatisfy { $0 >= 15 }, "\(counts)")

                // From an endpoint to its own service (hairpin): every connection works,
                // whichever endpoint it lands on; landing on itself, it is masqueraded to
                // the gateway's address, so that the answer comes back through the node.
                let hairpin = try Self.counts(pods[0].1, "10.96.0.2", 8080, 30)
                #expect(hairpin.values.reduce(0, +) == 30)
                #expect(Set(hairpin.keys) == ["e1 10.200.0.1", "e2 10.200.0.2"], "\(hairpin)")

                // Pod traffic leaving the cluster CIDR leaves with the node's address.
                #expect(try Self.counts(client, "192.168.64.1", 8080, 3) == ["outside 192.168.64.4": 3])

                // A service port without endpoints, and a port the service does not have.
                #expect(try Self.python(client, "refused", "10.96.0.3", "80") == "refused")
                #expect(try Self.python(client, "refused", "10.96.0.2", "9999") == "refused")
                // And the node itself (nat output, filter output) sees the same, once it
                // has a route for the service CIDR: a process's connect() looks the
                // route up before any hook runs (a real node has its default route).
                try Self.ip(node, "route", "add", "10.96.0.0/12", "dev", "br0")
                #expect(try Self.python(node, "refused", "10.96.0.3", "80") == "refused")
                let fromNode = try Self.counts(node, "10.96.0.2", 8080, 10)
                #expect(fromNode.values.reduce(0, +) == 10)
                #expect(fromNode.keys.allSatisfy { $0.hasSuffix(" 10.200.0.1") }, "\(fromNode)")
            }
        }

        /// The node: a bridge with the gateway, forwarding and br_netfilter on; each pod a veth whose
        /// host end is a bridge port with hairpin on, and a default route via the gateway.
        /// A server answering with its name in each namespace given, until `stop`.
        static func startServers(_ servers: [(name: String, namespace: String)], bind: String = "0.0.0.0") throws -> [Subprocess] {
            var started: [Subprocess] = []
            do {
                for (name, namespace) in servers {
                    started.append(try Subprocess.spawn(Command(["ip", "netns", "exec", namespace, "/usr/bin/python3", "-c", server, name, bind]),
                                                        capturing: false))
                }
            } catch {
                stop(started)
                throw error
            }
            return started
        }

        static func stop(_ servers: [Subprocess]) {
            for server in servers {
                kill(server.pid, SIGTERM)
                _ = try? server.waitForExit()
            }
        }

        static func buildNode(_ node: String, pods: [(namespace: String, ip: String)]) throws {
            try ip(node, "link", "add", "br0", "type", "bridge")
            try ip(node, "addr", "add", "10.200.0.1/24", "dev", "br0")
            try ip(node, "link", "set", "br0", "up")
            try ip(node, "link", "set", "lo", "up")
            try run("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            // Bridged IPv4 through the IP hooks (br_netfilter), as Kubernetes requires:
            // without it, an endpoint answers a client on the same bridge directly, past
            // conntrack, from its own address, and the client drops the answer (found by
            // setting it to 0: the same-node and hairpin cases then fail).
            try run("ip", "netns", "exec", node, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1")
            for (index, pod) in pods.enumerated() {
                let port = "pnv\(index)"
                try ip(node, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", pod.namespace)
                try ip(node, "link", "set", port, "master", "br0", "up")
                try run("bridge", "-n", node, "link", "set", "dev", port, "hairpin", "on")
                try ip(pod.namespace, "link", "set", "lo", "up")
                try ip(pod.namespace, "addr", "add", "\(pod.ip)/24", "dev", "eth0")
                try ip(pod.namespace, "link", "set", "eth0", "up")
                try ip(pod.namespace, "route", "add", "default", "via", "10.200.0.1")
            }
        }

        static func ip(_ namespace: String, _ arguments: String...) throws {
            try run(["ip", "-n", namespace] + arguments)
        }

        static func run(_ arguments: String...) throws { try run(arguments) }

        static func run(_ arguments: [String]) throws {
            let output = try host(arguments)
            guard output.status == .exited(0) else {
                throw ApplyError(operation: arguments.joined(separator: " "), reason: output.standardErrorText)
            }
        }

        @discardableResult
        static func python(_ namespace: String, _ arguments: String...) throws -> String {
            let output = try host(["ip", "netns", "exec", namespace, "/usr/bin/python3", "-c", client] + arguments)
            guard output.status == .exited(0) else {
                throw ApplyError(operation: "client \(arguments)", reason: output.standardErrorText)
            }
            return output.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        static func counts(_ namespace: String, _ ip: String, _ port: Int, _ count: Int) throws -> [String: Int] {
            let text = try python(namespace, "count", ip, String(port), String(count))
            return try JSONDecoder().decode([String: Int].self, from: Data(text.utf8))
        }
    }
}

/// `host` with an argument array.
func host(_ arguments: [String]) throws -> CommandOutput {
    try Subprocess.spawn(Command(arguments), capturing: true).collect()
}
