import PodnetTopology

/// How podnet names what it creates: part of the contract (TOPOLOGY.md, "Names in
/// the kernel"), so that users and tests can use plain iproute2 beside podnet.
public enum KernelNames {
    /// `CLUSTER.NAME`: the namespace of a pod or node.
    public static func namespace(cluster: String, member: String) -> String { "\(cluster).\(member)" }

    /// `CLUSTER.underlay`: the lab's emulated physical network.
    public static func underlayNamespace(cluster: String) -> String { "\(cluster).underlay" }

    /// The bridge inside the underlay namespace joining every node's eth0.
    public static let underlayBridge = "underlay"

    /// A pod's interface, and a node's uplink in lab mode.
    public static let podInterface = "eth0"
    public static let nodeUplink = "eth0"

    /// The far end of a veth whose near end is `eth0` of `member`: the host-side end
    /// of a pod in its node's namespace, or a node's port on the underlay bridge.
    /// Kernel names hold 15 bytes, member names up to 63, so the name is `veth` and 8
    /// hex digits of a hash of the member (as the CNI bridge plugin does, but stable);
    /// the readable long name is an alternative name: `ip link show pod-a0` works.
    public static func peerEnd(of member: String) -> String {
        "veth" + hex8(fnv1a(member))
    }

    /// The alternative name of `peerEnd(of:)`: `pod-NAME` or `node-NAME`.
    public static func peerAlternativeName(kind: String, member: String) -> String { "\(kind)-\(member)" }

    /// 32-bit FNV-1a: tiny, stable across runs and platforms (Swift's Hasher is seeded per process).
    static func fnv1a(_ text: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }

    static func hex8(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
