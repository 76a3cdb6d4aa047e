/// Reading and writing network sysctls of one namespace. /proc/sys/net shows the
/// namespace of the thread that *opens* the file, so the open happens on the
/// NetnsThread; once open, the file stays bound to that namespace.
extension NetnsThread {
    @available(*, noasync, message: "blocks the calling thread; use the async sysctl from async code")
    public func sysctl(get key: String) throws -> String {
        let key = try SysctlKey(key)
        return try run { try SysctlFile.read(key) }
    }

    @available(*, noasync, message: "blocks the calling thread; use the async sysctl from async code")
    public func sysctl(set key: String, to value: String) throws {
        let key = try SysctlKey(key)
        try run { try SysctlFile.write(key, value) }
    }

    public func sysctl(get key: String) async throws -> String {
        let key = try SysctlKey(key)
        return try await run { try SysctlFile.read(key) }
    }

    public func sysctl(set key: String, to value: String) async throws {
        let key = try SysctlKey(key)
        try await run { try SysctlFile.write(key, value) }
    }
}

/// The /proc/sys file of a key, read or written in the calling thread's namespace.
enum SysctlFile {
    /// The value without its trailing newline; multi-value sysctls keep their tabs.
    static func read(_ key: SysctlKey) throws(SysctlError) -> String {
        do {
            var bytes = try SmallFile.read(key.path)
            if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            return String(decoding: bytes, as: UTF8.self)
        } catch .noEntry {
            throw .unknownKey(key)
        } catch {
            throw .system("cannot read \(key.path)", error)
        }
    }

    static func write(_ key: SysctlKey, _ value: String) throws(SysctlError) {
        do {
            try SmallFile.write(key.path, Array((value + "\n").utf8))
        } catch .noEntry {
            throw .unknownKey(key)
        } catch .invalidArgument {
            throw .invalidValue(key, value)
        } catch {
            throw .system("cannot write \(key.path)", error)
        }
    }
}
