/// podnet marks each namespace it owns by an alias (IFLA_IFALIAS) on the namespace's
/// `lo`, naming podnet and the cluster (ARCHITECTURE.md, "Ownership"): `destroy` and
/// pruning delete only marked namespaces, and a foreign namespace in the way of a
/// desired one is an error that names it.
///
/// Reading and writing that alias is rtnetlink work, which belongs to the Netlink
/// module; this protocol is where it plugs in. An implementation opens its netlink
/// socket inside a `NetnsThread.run` (a socket stays bound to the namespace it was
/// created in) and sends RTM_GETLINK / RTM_SETLINK for ifindex 1 (`lo`) with
/// IFLA_IFALIAS.
public protocol NetnsOwnershipMark: Sendable {
    /// The alias on `lo` in the thread's namespace, or nil when there is none.
    func read(in namespace: NetnsThread) throws -> String?
    /// Sets the alias on `lo` in the thread's namespace.
    func write(_ mark: String, in namespace: NetnsThread) throws
}
