import PodnetKernelModel

/// IPVS changes as the `ipvsadm` commands a student could paste, in a named
/// namespace through `ip netns exec`:
///
///     ipvsadm -A -t 10.96.0.2:8080 -s rr
///     ipvsadm -a -t 10.96.0.2:8080 -r 10.200.0.2:8080 -m
///
/// Options at ipvsadm's defaults are left out (weight 1, no thresholds, no
/// persistence), so the lines read like the ones in tutorials.
public enum IPVSCommandRenderer {
    public static func command(for change: IPVSChange) -> String {
        let words: [String]
        switch change {
        case .addService(let service):
            words = ["-A"] + virtualService(service.id) + serviceOptions(service)
        case .editService(let service):
            words = ["-E"] + virtualService(service.id) + serviceOptions(service)
        case .deleteService(let id):
            words = ["-D"] + virtualService(id)
        case .addDestination(let id, let destination):
            words = ["-a"] + virtualService(id) + destinationOptions(destination)
        case .editDestination(let id, let destination):
            words = ["-e"] + virtualService(id) + destinationOptions(destination)
        case .deleteDestination(let id, let destination):
            words = ["-d"] + virtualService(id) + ["-r", destination.description]
        }
        return change.service.namespace.execPrefix + (["ipvsadm"] + words).joined(separator: " ")
    }

    public static func commands(for changes: [IPVSChange]) -> [String] { changes.map(command(for:)) }

    /// `-t ADDR:PORT` (TCP) or `-u ADDR:PORT` (UDP); an IPv6 address in brackets, `-t [fd00:96::1]:8080`.
    private static func virtualService(_ id: IPVSService.ID) -> [String] {
        [id.protocol == .tcp ? "-t" : "-u", id.address.joined(port: Int(id.port))]
    }

    private static func serviceOptions(_ service: IPVSService) -> [String] {
        var words = ["-s", service.scheduler]
        if service.flags.contains(.persistent) { words += ["-p", "\(service.timeout)"] }
        if service.flags.contains(.onePacket) { words.append("-o") }
        let schedulerFlags: [(IPVSServiceFlags, String)] = [(.scheduler1, "flag-1"), (.scheduler2, "flag-2"), (.scheduler3, "flag-3")]
        let set = schedulerFlags.filter { service.flags.contains($0.0) }.map(\.1)
        if !set.isEmpty { words += ["-b", set.joined(separator: ",")] }
        return words
    }

    private static func destinationOptions(_ destination: IPVSDestination) -> [String] {
        var words = ["-r", destination.id.description]
        switch destination.forwarding {
        case .masquerade: words.append("-m")
        case .tunnel: words.append("-i")
        case .directRoute, .local, .bypass: words.append("-g")
        }
        if destination.weight != 1 { words += ["-w", "\(destination.weight)"] }
        if destination.upperThreshold != 0 { words += ["-x", "\(destination.upperThreshold)"] }
        if destination.lowerThreshold != 0 { words += ["-y", "\(destination.lowerThreshold)"] }
        return words
    }
}
