import Glibc
import PodnetKernelModel

/// Where podnet keeps the record of each proxy table it committed
/// (`NFTablesProxyRecord`): one file per namespace and table under
/// /run/podnet/nftables, on tmpfs, gone with the namespaces when the machine restarts.
///
/// A record is only ever a shortcut: it is used when the namespace (by cookie) and
/// its ruleset generation are still those it was written for, so that a stale,
/// foreign or damaged file costs a full read of the table, never a wrong plan.
public struct NFTablesRecordStore: Sendable {
    public var directory: String

    public init(directory: String = ClusterLock.directory + "/nftables") {
        self.directory = directory
    }

    /// `lab.node-0.ip.podnet-lab`; the current namespace (host mode) is `@current`.
    public func path(of id: NFTable.ID) -> String {
        let namespace: String
        switch id.namespace {
        case .current: namespace = "@current"
        case .named(let name): namespace = name
        }
        return "\(directory)/\(namespace).\(id.family).\(id.name)"
    }

    /// The record of table `id`, if there is a readable one.
    public func load(_ id: NFTable.ID) -> NFTablesRecordFile? {
        guard let bytes = try? SmallFile.read(path(of: id)) else { return nil }
        return bytes.withUnsafeBufferPointer { NFTablesRecordFile(utf8: $0) }
    }

    /// The record that stands for table `id` in a namespace whose cookie and ruleset
    /// generation are those given, if its layout is `layout`: nil when there is none,
    /// or when anything committed since it was written.
    public func record(for id: NFTable.ID, layout: String, at stamp: NFTablesGenerationStamp) -> NFTablesProxyRecord? {
        guard let cookie = stamp.namespaceCookie, let file = load(id), file.generation == stamp.generation, file.namespaceCookie == cookie,
              file.bootID == Self.bootID, file.record.layout == layout else { return nil }
        return file.record
    }

    /// Keeps `record` as standing for table `id` at `stamp` (no record without a cookie).
    public func save(_ record: NFTablesProxyRecord, for id: NFTable.ID, at stamp: NFTablesGenerationStamp) throws(Errno) {
        guard let cookie = stamp.namespaceCookie, !Self.bootID.isEmpty else { return }
        try save(NFTablesRecordFile(bootID: Self.bootID, namespaceCookie: cookie, generation: stamp.generation, record: record), for: id)
    }

    /// This boot of the machine (empty if unreadable: then records are neither kept nor used).
    static let bootID: String = {
        guard let bytes = try? SmallFile.read("/proc/sys/kernel/random/boot_id") else { return "" }
        return String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
    }()

    /// Writes the record of table `id` whole: to a new file, renamed over the old one,
    /// so that a reader never sees half of it.
    func save(_ file: NFTablesRecordFile, for id: NFTable.ID) throws(Errno) {
        for parent in [ClusterLock.directory, directory] {
            do { try Syscall.mkdir(parent, mode: 0o755) } catch where error == .exists {}
        }
        let target = path(of: id)
        let temporary = "\(target).\(getpid()).new"
        let fd = try Syscall.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o644)
        let bytes = file.bytes
        let written = bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try Syscall.write(fd, buffer) } }
        Syscall.close(fd)
        guard case .success(let count) = written, count == bytes.count else {
            try? Syscall.unlink(temporary)
            if case .failure(let error) = written { throw error }
            throw Errno(rawValue: EIO)
        }
        guard rename(temporary, target) == 0 else {
            let error = Errno(rawValue: errno)
            try? Syscall.unlink(temporary)
            throw error
        }
    }

    /// Forgets every record of cluster `cluster`'s tables (`destroy`).
    public func removeAll(cluster: String) {
        let suffix = "." + NFTable.podnetName(cluster: cluster)
        // With the temporary files a crash between write and rename left (`NAME.PID.new`).
        for entry in (try? Syscall.directoryEntries(directory)) ?? []
        where entry.hasSuffix(suffix) || (entry.hasSuffix(".new") && entry.contains(suffix + ".")) {
            try? Syscall.unlink("\(directory)/\(entry)")
        }
    }

    /// Forgets the records of cluster `cluster`'s tables in namespaces other than
    /// `namespaces` (named ones deleted by hand, not by destroy).
    public func prune(cluster: String, keeping namespaces: Set<String>) {
        let suffixes = [NFTFamily.ip, .ip6].map { ".\($0)." + NFTable.podnetName(cluster: cluster) }
        for entry in (try? Syscall.directoryEntries(directory)) ?? [] {
            guard let suffix = suffixes.first(where: { entry.hasSuffix($0) }) else { continue }
            let namespace = String(entry.dropLast(suffix.count))
            guard namespace != "@current", !namespaces.contains(namespace) else { continue }
            try? Syscall.unlink("\(directory)/\(entry)")
        }
    }

    /// Forgets table `id`'s record (it is gone, or about to change unrecorded).
    public func remove(_ id: NFTable.ID) {
        try? Syscall.unlink(path(of: id))
    }
}
