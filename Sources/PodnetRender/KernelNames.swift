import PodnetAddress
import PodnetTopology

/// How podnet names what it creates: part of the contract (TOPOLOGY.md, "Names in
/// the kernel"), so that users and tests can use plain iproute2 beside podnet.
public enum KernelNames {
    /// `CLUSTER.NAME`: the namespace of a pod, node or lab client.
    public static func namespace(cluster: String, member: String) -> String { "\(cluster).\(member)" }

    /// `CLUSTER.underlay`: the lab's emulated physical network.
    public static func underlayNamespace(cluster: String) -> String { "\(cluster).underlay" }

    /// The bridge inside the underlay namespace joining every node's eth0.
    public static let underlayBridge = "underlay"

    /// A pod's interface, and a node's uplink in lab mode.
    public static let podInterface = "eth0"
    public static let nodeUplink = "eth0"
    /// A lab client's interface on the underlay.
    public static let clientInterface = "eth0"

    /// The far end of a veth whose near end is `eth0` of `member`: the host-side end
    /// of a pod in its node's namespace, or a node's or client's port on the underlay bridge.
    /// Kernel names hold 15 bytes, member names up to 63, so the name is `veth` and 8
    /// hex digits of a hash of the member (as the CNI bridge plugin does, but stable);
    /// the readable long name is an alternative name: `ip link show pod-a0` works.
    public static func peerEnd(of member: String) -> String {
        "veth" + hex8(fnv1a(member))
    }

    /// A node's VXLAN device (seed 003 §4.3 names it so; flannel says `flannel.VNI`).
    public static let vxlanDevice = "vxlan0"

    /// A node's IP-in-IP tunnel device (seed 003 §4.2).
    public static let ipipDevice = "ipip0"

    /// A dual-stack IP-in-IP node's IPv6-in-IPv4 tunnel device: `sit0` is the kernel's
    /// own fallback device of every namespace once the sit module is loaded, as
    /// `tunl0` is ipip's.
    public static let sitDevice = "sit1"

    /// The MAC address of a node's static VXLAN endpoint. The other nodes' neighbour
    /// and FDB entries name it, so it must be known before the device exists and stay
    /// the same across re-creations.
    public static func vtepMAC(cluster: String, node: String) -> MACAddress {
        stableMAC("\(cluster)/\(node)")
    }

    /// The MAC address of a bridge podnet creates. A bridge left to itself takes the
    /// lowest MAC among its ports and changes it whenever a port comes or goes, and
    /// every pod holding the old one in its ARP cache then loses the gateway for
    /// up to half a minute; an address set once pins it.
    public static func bridgeMAC(cluster: String, namespace: String, bridge: String) -> MACAddress {
        stableMAC("\(cluster)/\(namespace)/\(bridge)")
    }

    /// Locally administered, unicast (first byte 0x0e), the rest 40 bits of a hash.
    static func stableMAC(_ seed: String) -> MACAddress {
        // FNV-1a alone spreads a change in the last character over the low bytes only
        // (node-1 and node-2 would share 3 of 5 bytes): finish with a 64-bit mixer.
        let hash = mix64(fnv1a64(seed))
        let tail = (0..<5).map { UInt8(truncatingIfNeeded: hash >> (8 * $0)) }
        return MACAddress(bytes: [0x0e] + tail)!
    }

    /// The alternative name of `peerEnd(of:)`: `pod-NAME`, `node-NAME` or `client-NAME`.
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

    /// 64-bit FNV-1a, for the 40 bits a MAC address needs.
    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 1_099_511_628_211
        }
        return hash
    }

    /// MurmurHash3's 64-bit finalizer: every input bit flips each output bit with
    /// probability near one half.
    static func mix64(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x = x &* 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x = x &* 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }

    static func hex8(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
