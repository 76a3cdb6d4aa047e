import Glibc

/// Whole-file reads and writes for the small files of /proc and /sys, where a value
/// must be written with one write(2) from offset 0 and reading stops at end of file.
enum SmallFile {
    static func read(_ path: String) throws(Errno) -> [UInt8] {
        let fd = try Syscall.open(path, O_RDONLY | O_CLOEXEC)
        defer { Syscall.close(fd) }
        var contents: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let count = try Syscall.read(fd, into: chunk)
            if count == 0 { return contents }
            contents += chunk[..<count]
        }
    }

    /// One write of all of `bytes`; a short write (which /proc would take as the whole
    /// value) is reported as EIO.
    static func write(_ path: String, _ bytes: [UInt8]) throws(Errno) {
        let fd = try Syscall.open(path, O_WRONLY | O_CLOEXEC)
        defer { Syscall.close(fd) }
        // withUnsafeBytes is untyped-rethrows, so the typed error travels in a Result.
        let written = try bytes.withUnsafeBytes { buffer in
            Result { () throws(Errno) in try Syscall.write(fd, buffer) }
        }.get()
        if written != bytes.count { throw Errno(rawValue: EIO) }
    }
}
