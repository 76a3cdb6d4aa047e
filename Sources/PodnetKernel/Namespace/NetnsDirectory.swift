import Glibc

/// The directory of named network namespaces, /run/netns: each name is an empty file
/// with a namespace bind-mounted onto it. The layout is iproute2's, so namespaces made
/// by `ip netns add` and by podnet are the same thing to both.
public struct NetnsDirectory: Hashable, Sendable {
    public let path: String

    /// iproute2's NETNS_RUN_DIR. Another path is only useful to tests of the layout
    /// itself: `ip netns` will not see namespaces anywhere else.
    public init(path: String = "/run/netns") {
        self.path = path
    }

    public func path(of name: NetnsName) -> String { "\(path)/\(name.rawValue)" }

    /// The names of the namespaces in the directory, sorted; empty when it does not exist.
    /// Entries that are not valid names (which `ip netns add` cannot make) are skipped.
    public func list() throws(NetnsError) -> [NetnsName] {
        let entries: [String]
        do {
            entries = try Syscall.directoryEntries(path)
        } catch .noEntry {
            return []
        } catch {
            throw .system("cannot list \(path)", error)
        }
        return entries.compactMap { try? NetnsName($0) }.sorted()
    }

    public func contains(_ name: NetnsName) -> Bool {
        Syscall.exists(path(of: name))
    }

    /// Opens the namespace bound to `name` (O_RDONLY|O_CLOEXEC), for setns or
    /// IFLA_NET_NS_FD.
    public func open(_ name: NetnsName) throws(NetnsError) -> NetnsHandle {
        do {
            return try NetnsHandle(path: path(of: name))
        } catch .system(_, .noEntry) {
            throw .notFound(name)
        }
    }

    /// Removes the name as `ip netns del` does: detach the bind mount, then unlink the
    /// file. The namespace itself (and the links in it) goes once nothing else holds
    /// it: no open handle, no thread or process inside.
    /// Whether `name` is a file with no namespace mounted on it: what a crash between
    /// creating the file and bind-mounting the namespace leaves. It holds nothing.
    public func isStale(_ name: NetnsName) -> Bool {
        do {
            _ = try open(name)
            return false
        } catch .notANetworkNamespace {
            return true
        } catch {
            return false
        }
    }

    public func delete(_ name: NetnsName) throws(NetnsError) {
        let file = path(of: name)
        do {
            try Syscall.unmount(file, flags: MNT_DETACH)
        } catch .invalidArgument, .noEntry {
            // Not a mount point (a stale file) or no file at all: unlink decides.
        } catch {
            throw .system("cannot unmount \(file)", error)
        }
        do {
            try Syscall.unlink(file)
        } catch .noEntry {
            throw .notFound(name)
        } catch {
            throw .system("cannot remove \(file)", error)
        }
    }
}
