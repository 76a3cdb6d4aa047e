import Glibc
import PodnetNetlink

/// Waits until the veths podnet brought up carry traffic.
///
/// A veth whose two ends are up has carrier at once, but the kernel turns carrier
/// into a working device (operstate UP, its real queueing discipline attached) in
/// its link-watch work, which runs at most once a second and later under load.
/// Until then the device drops every packet it is given: a `ping -c 1` right after
/// an apply fails. So apply returns only once every veth it owns that is up reports
/// operstate UP, or after `timeout` seconds, naming the ones that do not.
public enum CarrierWait {
    /// The veths (as "NAME in NAMESPACE") still not operational after `timeout`.
    ///
    /// Only the namespaces where a veth was still waiting are looked at again: a veth
    /// once operational stays so, and looking at every namespace each 20 ms made the
    /// wait grow with the square of the cluster (each look at 5,041 namespaces is a
    /// link dump in each).
    /// - Parameter only: look only at these of the cluster's named namespaces (where a
    ///   plan made or changed links); nil: at every one.
    public static func untilVethsAreUp(cluster: String, host: String?, in only: Set<String>? = nil, timeout: Double = 3,
                                       directory: NetnsDirectory = NetnsDirectory()) throws -> [String] {
        let deadline = monotonicSeconds() + timeout
        let marker = "podnet:\(cluster):"
        var namespaces = try directory.list().filter { $0.rawValue.hasPrefix(cluster + ".") && only?.contains($0.rawValue) != false }
        var current = host != nil
        while true {
            let waiting = try vethsNotUp(marker: marker, in: namespaces, current: current, directory: directory)
            if waiting.isEmpty || monotonicSeconds() >= deadline {
                return waiting.flatMap { namespace, veths in veths.map { "\($0) in \(namespace?.rawValue ?? "this namespace")" } }.sorted()
            }
            namespaces = waiting.keys.compactMap { $0 }
            current = waiting.keys.contains(nil)
            usleep(20_000)
        }
    }

    /// The names of the veths not yet operational, by namespace (nil: the current one).
    static func vethsNotUp(marker: String, in namespaces: [NetnsName], current: Bool,
                           directory: NetnsDirectory) throws -> [NetnsName?: [String]] {
        let results = try NamespaceTour.visitConcurrently(namespaces, in: directory, threads: 2) { _ in
            try waitingVeths(marker: marker)
        }
        var waiting: [NetnsName?: [String]] = [:]
        for (name, result) in zip(namespaces, results) {
            // A namespace gone meanwhile (nil) has nothing left to wait for.
            if let veths = try result.get(), !veths.isEmpty { waiting[name] = veths }
        }
        if current {
            let veths = try waitingVeths(marker: marker)
            if !veths.isEmpty { waiting[nil] = veths }
        }
        return waiting
    }

    /// Runs in the namespace to look at: podnet's veths that are up without being operational.
    private static func waitingVeths(marker: String) throws -> [String] {
        let connection = NetlinkConnection(socket: try KernelNetlinkSocket.forDumps())
        return try connection.links().compactMap { link in
            guard case .veth = link.info, link.isUp, link.alias?.hasPrefix(marker) == true,
                  link.operState != .up, let name = link.name else { return nil }
            return name
        }
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
