import CMNL

/// IPVS requests over generic netlink (`ipvsadm`'s, through libipvs). Each names the
/// family by the id the controller gave it (`genericFamily(named: "IPVS")`).
extension NetlinkRequest {
    /// IPVS_GENL_VERSION.
    static let ipvsVersion = UInt8(IPVS_GENL_VERSION)

    private static func ipvs(_ family: GenericNetlinkFamily, _ command: Int, summary: String,
                             build: (inout NetlinkWriter) -> Void = { _ in }) -> NetlinkRequest {
        NetlinkRequest(type: family.id, summary: summary) {
            GenericNetlinkHeader(command: UInt8(command), version: ipvsVersion).write(to: &$0)
            build(&$0)
        }
    }

    /// `ipvsadm -A`: IPVS_CMD_NEW_SERVICE. EEXIST if it exists; ENOENT if the
    /// kernel has no such scheduler (module ip_vs_SCHEDULER).
    public static func addIPVSService(_ service: IPVSServiceMessage, family: GenericNetlinkFamily) -> NetlinkRequest {
        ipvs(family, IPVS_CMD_NEW_SERVICE, summary: "IPVS_CMD_NEW_SERVICE \(service.subject)") {
            service.write(to: &$0, full: true)
        }
    }

    /// `ipvsadm -E`: IPVS_CMD_SET_SERVICE (scheduler, flags, timeout, netmask).
    public static func setIPVSService(_ service: IPVSServiceMessage, family: GenericNetlinkFamily) -> NetlinkRequest {
        ipvs(family, IPVS_CMD_SET_SERVICE, summary: "IPVS_CMD_SET_SERVICE \(service.subject)") {
            service.write(to: &$0, full: true)
        }
    }

    /// `ipvsadm -D`: IPVS_CMD_DEL_SERVICE, with its destinations. ESRCH if absent.
    public static func deleteIPVSService(_ service: IPVSServiceMessage, family: GenericNetlinkFamily) -> NetlinkRequest {
        ipvs(family, IPVS_CMD_DEL_SERVICE, summary: "IPVS_CMD_DEL_SERVICE \(service.subject)") {
            service.write(to: &$0, full: false)
        }
    }

    /// `ipvsadm -a`: IPVS_CMD_NEW_DEST. ESRCH without the service, EEXIST if present.
    public static func addIPVSDestination(_ destination: IPVSDestinationMessage, to service: IPVSServiceMessage,
                                          family: GenericNetlinkFamily) -> NetlinkRequest {
        ipvs(family, IPVS_CMD_NEW_DEST, summary: "IPVS_CMD_NEW_DEST \(service.subject) -> \(destination.subject)") {
            service.write(to: &$0, full: false)
            destination.write(to: &$0, full: true)
        }
    }

    /// `ipvsadm -e`: IPVS_CMD_SET_DEST.
    public static func setIPVSDestination(_ destination: IPVSDestinationMessage, of service: IPVSServiceMessage,
                                          family: GenericNetlinkFamily) -> NetlinkRequest {
        ipvs(family, IPVS_CMD_SET_DEST, summary: "IPVS_CMD_SET_DEST \(service.subject) -> \(destination.subject)") {
            service.write(to: &$0, full: false)
            destination.write(to: &$0, full: true)
        }
    }

    /// `ipvsadm -d`: IPVS_CMD_DEL_DEST. ENOENT if absent.
    public static func deleteIPVSDestination(_ destination: IPVSDestinationMessage, of service: IPVSServiceMessage,
                                             family: GenericNetlinkFamily) -> NetlinkRequest {
        ipvs(family, IPVS_CMD_DEL_DEST, summary: "IPVS_CMD_DEL_DEST \(service.subject) -> \(destination.subject)") {
            service.write(to: &$0, full: false)
            destination.write(to: &$0, full: false)
        }
    }

    /// `ipvsadm -Ln`, first half: IPVS_CMD_GET_SERVICE dump of every service.
    public static func dumpIPVSServices(family: GenericNetlinkFamily) -> NetlinkRequest {
        ipvs(family, IPVS_CMD_GET_SERVICE, summary: "IPVS_CMD_GET_SERVICE dump")
    }

    /// IPVS_CMD_GET_DEST dump of one service's real servers.
    public static func dumpIPVSDestinations(of service: IPVSServiceMessage, family: GenericNetlinkFamily) -> NetlinkRequest {
        ipvs(family, IPVS_CMD_GET_DEST, summary: "IPVS_CMD_GET_DEST dump \(service.subject)") {
            service.write(to: &$0, full: false)
        }
    }
}

/// IPVS dumps, decoded.
extension NetlinkConnection {
    /// Every IPVS service of the socket's namespace (IPv4, IPv6, firewall-mark alike).
    public func ipvsServices(family: GenericNetlinkFamily) throws(NetlinkError) -> [IPVSServiceMessage] {
        let request = NetlinkRequest.dumpIPVSServices(family: family)
        return try ipvsNests(dump(request), command: IPVS_CMD_NEW_SERVICE, nest: IPVS_CMD_ATTR_SERVICE, summary: request.summary) {
            (attributes) throws(NetlinkParseError) in try IPVSServiceMessage(decoding: attributes)
        }
    }

    /// The real servers of one service.
    public func ipvsDestinations(of service: IPVSServiceMessage, family: GenericNetlinkFamily) throws(NetlinkError) -> [IPVSDestinationMessage] {
        let request = NetlinkRequest.dumpIPVSDestinations(of: service, family: family)
        return try ipvsNests(dump(request), command: IPVS_CMD_NEW_DEST, nest: IPVS_CMD_ATTR_DEST, summary: request.summary) {
            (attributes) throws(NetlinkParseError) in try IPVSDestinationMessage(decoding: attributes, serviceFamily: service.addressFamily)
        }
    }

    private func ipvsNests<T>(
        _ messages: [NetlinkMessage], command: Int, nest: Int, summary: String,
        _ decode: (NetlinkAttributes) throws(NetlinkParseError) -> T
    ) throws(NetlinkError) -> [T] {
        var decoded: [T] = []
        for message in messages {
            let item: T? = try parse(summary) { () throws(NetlinkParseError) -> T? in
                guard try GenericNetlinkHeader(decoding: message).command == UInt8(command),
                      let attribute = try message.attributes(afterHeaderOfSize: GenericNetlinkHeader.size)[nest] else { return nil }
                return try decode(try attribute.nested())
            }
            if let item { decoded.append(item) }
        }
        return decoded
    }
}
