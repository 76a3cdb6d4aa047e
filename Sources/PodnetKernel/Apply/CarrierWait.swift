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
    public static func untilVethsAreUp(cluster: String, host: String?, timeout: Double = 3,
                                       directory: NetnsDirectory = NetnsDirectory()) throws -> [String] {
        let deadline = monotonicSeconds() + timeout
        while true {
            let waiting = try vethsNotUp(cluster: cluster, host: host, directory: directory)
            if waiting.isEmpty || monotonicSeconds() >= deadline { return waiting }
            usleep(20_000)
        }
    }

    static func vethsNotUp(cluster: String, host: String?, directory: NetnsDirectory) throws -> [String] {
        let marker = "podnet:\(cluster):"
        var handles: [NetnsHandle] = []
        for name in try directory.list() where name.rawValue.hasPrefix(cluster + ".") {
            if let handle = try? directory.open(name) { handles.append(handle) }
        }
        let results = try NamespaceTour.visitConcurrently(handles, threads: 2) { handle in
            try waitingVeths(marker: marker, in: String(handle.path.split(separator: "/").last ?? ""))
        }
        var waiting = try results.flatMap { try $0.get() }
        if host != nil { waiting += try waitingVeths(marker: marker, in: "this namespace") }
        return waiting.sorted()
    }

    /// Runs in the namespace to look at: podnet's veths that are up without being operational.
    private static func waitingVeths(marker: String, in namespace: String) throws -> [String] {
        let connection = NetlinkConnection(socket: try KernelNetlinkSocket())
        return try connection.links().compactMap { link in
            guard case .veth = link.info, link.isUp, link.alias?.hasPrefix(marker) == true,
                  link.operState != .up, let name = link.name else { return nil }
            return "\(name) in \(namespace)"
        }
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
