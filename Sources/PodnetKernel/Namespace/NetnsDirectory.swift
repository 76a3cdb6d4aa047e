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

    /// Removes many names as `delete(_:)` does, on `threads` threads: each unmount
    /// waits for an RCU grace period (namespace_unlock), time when the processor is
    /// free, so several threads waiting at once share the wait. Returns the failures
    /// (`.notFound` for a name already gone), in the order of `names`.
    public func delete(_ names: [NetnsName], threads: Int) -> [(name: NetnsName, error: NetnsError)] {
        let outcomes: [Result<Void, any Error>]
        do {
            outcomes = try NamespaceTour.shareOut(names.count, threads: threads) { index in
                try delete(names[index])
            }
        } catch {
            // No thread could be started: one at a time, then, on this one.
            outcomes = names.map { name in Result { try delete(name) } }
        }
        return zip(names, outcomes).compactMap { name, outcome in
            guard case .failure(let error) = outcome else { return nil }
            return (name, error as? NetnsError ?? .system("cannot delete \(name)", .invalidArgument))
        }
    }
}
