import PodnetKernelModel

/// One change to IPVS: one generic netlink request, one `ipvsadm` command.
public enum IPVSChange: Hashable, Sendable {
    /// A new virtual server, without real servers (they follow as `addDestination`).
    case addService(IPVSService)
    /// Scheduler, flags or timeout brought to the service's.
    case editService(IPVSService)
    /// Deleting a service deletes its real servers with it.
    case deleteService(IPVSService.ID)
    case addDestination(IPVSService.ID, IPVSDestination)
    /// Weight, forwarding method or thresholds brought to the destination's.
    case editDestination(IPVSService.ID, IPVSDestination)
    case deleteDestination(IPVSService.ID, IPVSDestination.ID)

    /// The service the change acts on.
    public var service: IPVSService.ID {
        switch self {
        case .addService(let service), .editService(let service): return service.id
        case .deleteService(let id), .addDestination(let id, _), .editDestination(let id, _), .deleteDestination(let id, _): return id
        }
    }

    public var isDeletion: Bool {
        switch self {
        case .deleteService, .deleteDestination: return true
        default: return false
        }
    }
}

/// The minimal changes that make live IPVS equal to desired: services are matched
/// by identity (namespace, protocol, address, port), destinations by address and
/// port. A changed scheduler, flag or timeout is an edit of the service, a changed
/// weight, forwarding method or threshold an edit of the destination; nothing is
/// deleted to be re-created. A changed port or address is another identity: the old
/// service goes, the new one comes.
///
/// `live` must hold only what podnet owns (`IPVSOwnership`, applied by the reader):
/// every live service the desired state lacks is deleted.
///
/// Order: deletions of services, then per kept service deletions of destinations,
/// the service's edit, edits and additions of destinations, then new services each
/// followed by its destinations; services and destinations in identity order. A
/// destination is only ever added to a service that exists by then.
public enum IPVSDiff {
    public static func changes(live: [IPVSService], desired: [IPVSService]) -> [IPVSChange] {
        let liveByID = Dictionary(live.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        let desiredByID = Dictionary(desired.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        var changes: [IPVSChange] = []
        for id in liveByID.keys.sorted() where desiredByID[id] == nil {
            changes.append(.deleteService(id))
        }
        for id in desiredByID.keys.sorted() {
            let wanted = desiredByID[id]!
            guard let current = liveByID[id] else {
                changes.append(.addService(wanted))
                changes += wanted.destinations.map { .addDestination(id, $0) }
                continue
            }
            changes += destinationDeletions(from: current, to: wanted)
            if current.scheduler != wanted.scheduler || current.flags != wanted.flags || current.timeout != wanted.timeout {
                changes.append(.editService(wanted))
            }
            for destination in wanted.destinations {
                switch current.destination(destination.id) {
                case nil: changes.append(.addDestination(id, destination))
                case let existing? where existing != destination: changes.append(.editDestination(id, destination))
                default: break
                }
            }
        }
        return changes
    }

    private static func destinationDeletions(from current: IPVSService, to wanted: IPVSService) -> [IPVSChange] {
        current.destinations.filter { wanted.destination($0.id) == nil }.map { .deleteDestination(current.id, $0.id) }
    }
}
