import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

/// IPVS model values ↔ generic netlink messages.
enum IPVSWireMessages {
    static func service(_ id: IPVSService.ID) -> IPVSServiceMessage {
        IPVSServiceMessage(protocolNumber: id.protocol.number, address: id.address, port: id.port)
    }

    static func service(_ service: IPVSService) -> IPVSServiceMessage {
        var message = Self.service(service.id)
        message.scheduler = service.scheduler
        message.flags = service.flags.rawValue
        message.timeout = service.timeout
        return message
    }

    static func destination(_ destination: IPVSDestination) -> IPVSDestinationMessage {
        IPVSDestinationMessage(address: destination.id.address, port: destination.id.port,
                               forwardingMethod: destination.forwarding.rawValue, weight: destination.weight,
                               upperThreshold: destination.upperThreshold, lowerThreshold: destination.lowerThreshold)
    }

    static func destination(_ id: IPVSDestination.ID) -> IPVSDestinationMessage {
        IPVSDestinationMessage(address: id.address, port: id.port)
    }

    /// The service a dump described, in `namespace`; nil for what podnet does not
    /// model (firewall-mark, protocols other than TCP and UDP). The kernel's own
    /// `hashed` flag is dropped. Destinations of the other family than the
    /// service's (IPVS allows them for tunnelling) are kept: the diff then deletes them.
    static func model(_ message: IPVSServiceMessage, destinations: [IPVSDestinationMessage],
                      namespace: NamespaceRef) -> IPVSService? {
        guard message.firewallMark == nil, let address = message.address,
              let proto = IPVSProtocol(number: message.protocolNumber) else { return nil }
        let id = IPVSService.ID(namespace: namespace, protocol: proto, address: address, port: message.port)
        let flags = IPVSServiceFlags(rawValue: message.flags).intersection(.userSettable)
        return IPVSService(id: id, scheduler: message.scheduler, flags: flags, timeout: message.timeout,
                           destinations: destinations.compactMap(model))
    }

    static func model(_ message: IPVSDestinationMessage) -> IPVSDestination? {
        guard let address = message.address else { return nil }
        return IPVSDestination(id: .init(address: address, port: message.port), weight: message.weight,
                               forwarding: IPVSForwardingMethod(rawValue: message.forwardingMethod) ?? .masquerade,
                               upperThreshold: message.upperThreshold, lowerThreshold: message.lowerThreshold)
    }

    /// The request carrying one change.
    static func request(_ change: IPVSChange, family: GenericNetlinkFamily) -> NetlinkRequest {
        switch change {
        case .addService(let service): return .addIPVSService(Self.service(service), family: family)
        case .editService(let service): return .setIPVSService(Self.service(service), family: family)
        case .deleteService(let id): return .deleteIPVSService(service(id), family: family)
        case .addDestination(let id, let destination):
            return .addIPVSDestination(Self.destination(destination), to: service(id), family: family)
        case .editDestination(let id, let destination):
            return .setIPVSDestination(Self.destination(destination), of: service(id), family: family)
        case .deleteDestination(let id, let destination):
            return .deleteIPVSDestination(Self.destination(destination), of: service(id), family: family)
        }
    }
}
