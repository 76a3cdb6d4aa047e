@testable import PodnetKernel
import Glibc
import Testing

/// The test process must never leave its own namespace: its main thread stays in the
/// namespace it started in (that of `swift test`, its parent), and once a test
/// has closed its namespace threads no thread of the process is anywhere else, in
/// particular no Swift concurrency or dispatch worker.
enum HomeCheck {
    /// Where the process was when first asked; its parent (swift test), when readable,
    /// is a witness from outside this process.
    static let startingNamespace: NetnsIdentity? = {
        let parent = try? NetnsIdentity(path: "/proc/\(getppid())/ns/net")
        return parent ?? (try? NetnsIdentity.ofProcess())
    }()

    static func expectUntouched(sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let home = try NetnsIdentity.ofProcess()
            #expect(home == startingNamespace, "the main thread's namespace changed", sourceLocation: sourceLocation)
            let strays = try threadsOutside(home)
            #expect(strays.isEmpty, "threads left in other namespaces: \(strays)", sourceLocation: sourceLocation)
        } catch {
            Issue.record(error, sourceLocation: sourceLocation)
        }
    }

    /// "tid (name) in net:[inode]" for each thread of this process not in `home`.
    static func threadsOutside(_ home: NetnsIdentity) throws -> [String] {
        var strays: [String] = []
        for tid in try Syscall.directoryEntries("/proc/self/task") {
            // A thread that ends while we look is simply gone.
            guard let identity = try? NetnsIdentity(path: "/proc/self/task/\(tid)/ns/net"),
                  identity != home else { continue }
            strays.append("\(tid) (\(threadName(tid))) in \(identity)")
        }
        return strays
    }

    private static func threadName(_ tid: String) -> String {
        let comm = (try? SmallFile.read("/proc/self/task/\(tid)/comm")) ?? []
        return String(decoding: comm.filter { $0 != 10 }, as: UTF8.self)
    }
}
