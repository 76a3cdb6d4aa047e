import PodnetNetlink

/// Netlink sockets bound to given namespaces, opened by one touring thread: the
/// caller's thread never changes namespace, and the sockets can then be used from
/// anywhere (a socket stays in the namespace it was created in).
public enum NamespaceSockets {
    public static func open(in namespaces: [NetnsHandle], bus: NetlinkBus = .route) throws -> [KernelNetlinkSocket] {
        try NamespaceTour.visit(namespaces) { _ in try KernelNetlinkSocket(bus: bus) }.map { try $0.get() }
    }
}
