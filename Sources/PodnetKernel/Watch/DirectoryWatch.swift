import Glibc

/// Names appearing, changing or going in one directory (inotify). A file is watched
/// through its directory: editors save by writing a new file and renaming it over the
/// old one, which a watch on the file itself would lose track of.
public final class DirectoryWatch {
    public let path: String
    public let fileDescriptor: FileDescriptor
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 8)

    /// What to hear of.
    public enum Events: Sendable {
        /// Written and closed, created, moved in or out, deleted: every way a name gets
        /// new contents or disappears (a file's save).
        case everyChange
        /// Deleted or moved out only (`ip netns del`: the name's namespace let go).
        /// Other programs make and delete namespaces all the time on some machines; a
        /// wake for each one they make would be for nothing.
        case removals

        var mask: UInt32 {
            switch self {
            case .everyChange: return UInt32(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
            case .removals: return UInt32(IN_DELETE | IN_MOVED_FROM)
            }
        }
    }

    public init(directory path: String, events: Events = .everyChange) throws(Errno) {
        self.path = path
        fileDescriptor = try Syscall.inotifyInit()
        do {
            _ = try Syscall.inotifyAddWatch(fileDescriptor, path, mask: events.mask | UInt32(IN_ONLYDIR))
        } catch {
            Syscall.close(fileDescriptor)
            throw error
        }
    }

    deinit {
        Syscall.close(fileDescriptor)
        buffer.deallocate()
    }

    /// What happened since the last call.
    public struct Changes: Equatable, Sendable {
        /// The names that changed, in order of the events, without repeats.
        public var names: [String] = []
        /// The kernel's queue overflowed (IN_Q_OVERFLOW), or the directory itself went
        /// (deleted or unmounted): anything may have changed.
        public var lostTrack = false
    }

    /// Reads every queued event without waiting.
    /// - Parameter prefix: only names starting with it are kept (compared as bytes:
    ///   a burst of other programs' names costs no string each).
    public func take(namesStartingWith prefix: String = "") throws(Errno) -> Changes {
        var changes = Changes()
        let prefix = Array(prefix.utf8)
        while true {
            let count: Int
            do {
                count = try Syscall.read(fileDescriptor, into: buffer)
            } catch where error.rawValue == EAGAIN {
                return changes
            }
            guard count > 0 else { return changes }
            Self.parse(Array(UnsafeRawBufferPointer(rebasing: buffer[..<count]))[...], keeping: prefix, into: &changes)
        }
    }

    /// struct inotify_event: wd (4 bytes), mask (4), cookie (4), len (4), then `len`
    /// bytes of NUL-padded name.
    static func parse(_ events: ArraySlice<UInt8>, keeping prefix: [UInt8] = [], into changes: inout Changes) {
        var seen = Set(changes.names)
        var offset = events.startIndex
        while offset + 16 <= events.endIndex {
            func word(_ at: Int) -> UInt32 {   // in the machine's byte order
                events[(offset + at)..<(offset + at + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            }
            let mask = word(4)
            let length = Int(word(12))
            let nameBytes = events[(offset + 16)..<min(offset + 16 + length, events.endIndex)].prefix { $0 != 0 }
            if mask & UInt32(IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_UNMOUNT) != 0 { changes.lostTrack = true }
            if !nameBytes.isEmpty, nameBytes.starts(with: prefix) {
                let name = String(decoding: nameBytes, as: UTF8.self)
                if seen.insert(name).inserted { changes.names.append(name) }
            }
            offset += 16 + length
        }
    }
}
