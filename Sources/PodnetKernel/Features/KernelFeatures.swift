import PodnetAddress
import PodnetNetlink
import Synchronization

/// What this kernel can do, found out by trying, before a plan changes anything:
/// a backend the kernel cannot build must fail the apply with the cluster untouched,
/// not half-way through it (issue 5: "fails before changing anything").
///
/// The tries happen in a throwaway network namespace of a thread's own (unshare on
/// a dedicated thread, never the caller's); it vanishes with the thread, and
/// nothing is ever created where anyone could see it. Trying also makes the kernel
/// load the module that provides a kind (request_module "rtnl-link-KIND"), as the
/// real creation would.
public enum KernelFeatures {
    /// The link kinds among `kinds` that this kernel cannot create.
    public static func missingLinkKinds(_ kinds: Set<String>) throws -> [MissingLinkKind] {
        let probes = kinds.sorted().compactMap { kind in probe(kind).map { (kind, $0) } }
        guard !probes.isEmpty else { return [] }
        let outcome = Mutex<Result<[MissingLinkKind], any Error>?>(nil)
        let thread = try JoinableThread(name: "podnet probe") {
            let result = Result { try tryCreating(probes) }
            outcome.withLock { $0 = result }
        }
        thread.join()
        return try outcome.withLock { $0! }.get()
    }

    /// Runs on the probing thread: moves it into a fresh namespace, tries each kind.
    private static func tryCreating(_ probes: [(String, LinkMessage)]) throws -> [MissingLinkKind] {
        try Syscall.unshare(Syscall.cloneNewNet)
        let connection = NetlinkConnection(socket: try KernelNetlinkSocket())
        var missing: [MissingLinkKind] = []
        for (kind, message) in probes {
            if let absent = try attempt(kind, message, on: connection) { missing.append(absent) }
        }
        return missing
    }

    private static func attempt(_ kind: String, _ message: LinkMessage, on connection: NetlinkConnection) throws -> MissingLinkKind? {
        let error: NetlinkError
        do {
            _ = try connection.execute(.addLink(message))
            return nil
        } catch let failure {
            error = failure
        }
        switch error {
        case .missingLinkKind(let absent): return absent
        case .kernel(let refusal):
            // Only "unknown device type" says the kind is missing. Any other refusal
            // came from the kind's own driver, which therefore exists: ipip, say,
            // answers EEXIST when its fallback device tunl0 already has these
            // parameters (found in the full-kernel lane).
            return MissingLinkKind(kind: kind, error: refusal)
        default: throw error
        }
    }

    /// The smallest creation request of each kind podnet may create; nil for kinds
    /// every kernel podnet runs on has (bridge, veth: the lab itself needs them).
    static func probe(_ kind: String) -> LinkMessage? {
        let name = "pnprobe0"
        switch kind {
        // A local address of its own (TEST-NET-1), unlike the fallback tunl0's "any".
        case "ipip": return LinkMessage(name: name, info: .ipip(IPIPInfo(local: IPv4Address("192.0.2.1"))))
        case "sit": return LinkMessage(name: name, info: .sit(IPIPInfo(local: IPv4Address("192.0.2.1"))))
        case "dummy": return LinkMessage(name: name, info: .dummy)
        case "vxlan": return LinkMessage(name: name, info: .vxlan(VXLANInfo(id: 1, port: 4789)))
        default: return nil
        }
    }
}

extension KernelFeatures {
    /// Whether `path` (a /proc/sys entry a module provides) exists, loading
    /// `module` with modprobe first when it does not, as kube-proxy's hosts do for
    /// br_netfilter. A module is global to the machine, like any kernel feature.
    public static func ensure(_ path: String, module: String) -> Bool {
        if Syscall.exists(path) { return true }
        for modprobe in ["/usr/sbin/modprobe", "/sbin/modprobe"] where Syscall.exists(modprobe) {
            _ = try? Subprocess.spawn(Command([modprobe, "-q", module]), capturing: true).collect()
            break
        }
        return Syscall.exists(path)
    }
}
