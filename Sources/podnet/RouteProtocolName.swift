import FoundationEssentials
import Glibc
import PodnetKernelModel

/// Teaches iproute2 the name of podnet's route protocol, so that `ip route` on a
/// host shows `proto podnet` instead of a bare number (host mode, where podnet's
/// routes sit among the host's own and the protocol is what tells them apart).
enum RouteProtocolName {
    static let directory = "/etc/iproute2/rt_protos.d"
    static let file = "\(directory)/podnet.conf"

    /// Best effort: a missing name only makes `ip route` print 211.
    static func install() {
        let line = "\(Route.protocolPodnet)\tpodnet\n"
        if (try? String(contentsOfFile: file, encoding: .utf8)) == line { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? line.write(toFile: file, atomically: true, encoding: .utf8)
    }
}
