@testable import PodnetKernel
import Dispatch
import Glibc
import Synchronization
import Testing

extension KernelTests {
    @Suite struct NetnsDirectoryTests {
        let directory = NetnsDirectory()

        @Test func addedNamespaceWorksWithIproute2() throws {
            try withScratchNamespaces(1) { names throws in
                let name = names[0]
                #expect(try ipNetnsList().contains(name.rawValue))
                #expect(try directory.list().contains(name))
                #expect(try host("ip", "netns", "exec", name.rawValue, "true").status == .exited(0))
                // A namespace of its own: not ours, and holding nothing but lo.
                #expect(try directory.open(name).identity != NetnsIdentity.ofProcess())
                let links = try host("ip", "netns", "exec", name.rawValue, "ip", "-o", "link", "show").standardOutputText
                #expect(links.split(separator: "\n").count == 1 && links.contains(": lo:"))
            }
        }

        @Test func iproute2DeletesWhatPodnetAdded() throws {
            let name = TestNames.fresh()
            defer { cleanUp([name], in: directory) }
            try directory.add(name)
            #expect(try host("ip", "netns", "del", name.rawValue).status == .exited(0))
            #expect(try !directory.list().contains(name))
            #expect(throws: NetnsError.notFound(name)) { try directory.open(name) }
        }

        @Test func runDirectoryIsASharedMountPoint() throws {
            try withScratchNamespaces(1) { _ throws in
                let mountInfo = String(decoding: try SmallFile.read("/proc/self/mountinfo"), as: UTF8.self)
                let entry = mountInfo.split(separator: "\n").first { $0.split(separator: " ")[4] == "/run/netns" }
                #expect(entry?.contains("shared:") == true, "mountinfo: \(entry ?? "no /run/netns mount")")
            }
        }

        @Test func namespaceMadeByIproute2IsOpenedRunInAndDeleted() throws {
            let name = TestNames.fresh()
            defer { cleanUp([name], in: directory) }
            try host("ip", "netns", "add", name.rawValue)
            #expect(try directory.list().contains(name))

            let handle = try directory.open(name)
            let thread = try NetnsThread(handle)
            defer { thread.close() }
            let inside = try thread.run { try NetnsIdentity.ofCallingThread() }
            #expect(inside == handle.identity)

            thread.close()
            try directory.delete(name)
            #expect(!directory.contains(name))
            #expect(try !ipNetnsList().contains(name.rawValue))
        }

        @Test func concurrentAddsStackNoMounts() throws {
            let names = (0..<16).map { _ in TestNames.fresh() }
            defer { cleanUp(names, in: directory) }
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: names.count) { index in
                do { try directory.add(names[index]) } catch { failures.withLock { $0.append("\(error)") } }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            #expect(Set(try directory.list()).isSuperset(of: names))
            let mountInfo = String(decoding: try SmallFile.read("/proc/self/mountinfo"), as: UTF8.self)
            #expect(mountInfo.split(separator: "\n").filter { $0.split(separator: " ")[4] == "/run/netns" }.count == 1)
            DispatchQueue.concurrentPerform(iterations: names.count) { index in
                do { try directory.delete(names[index]) } catch { failures.withLock { $0.append("\(error)") } }
            }
            #expect(failures.withLock { $0 }.isEmpty)
        }

        @Test func namespacesAddedTogetherAreEachTheirOwn() throws {
            let names = (0..<24).map { _ in TestNames.fresh() }
            defer { cleanUp(names, in: directory) }
            try directory.add(names, threads: 3)
            #expect(Set(try directory.list()).isSuperset(of: names))
            // Each name its own namespace, none the caller's, each holding only lo.
            let identities = try names.map { try directory.open($0).identity }
            #expect(Set(identities).count == names.count)
            #expect(!identities.contains(try NetnsIdentity.ofProcess()))
            let links = try host("ip", "netns", "exec", names[17].rawValue, "ip", "-o", "link", "show").standardOutputText
            #expect(links.split(separator: "\n").count == 1 && links.contains(": lo:"))
            let mountInfo = String(decoding: try SmallFile.read("/proc/self/mountinfo"), as: UTF8.self)
            #expect(mountInfo.split(separator: "\n").filter { $0.split(separator: " ")[4] == "/run/netns" }.count == 1)
        }

        @Test func aBatchStopsAtANameTakenAndSaysWhich() throws {
            let names = (0..<6).map { _ in TestNames.fresh() }
            defer { cleanUp(names, in: directory) }
            try directory.add(names[3])
            let taken = try directory.open(names[3]).identity
            do {
                try directory.add(names, threads: 1)
                Issue.record("adding a batch holding a name taken succeeded")
            } catch {
                #expect(error.index == 3)
                #expect(error.error == .alreadyExists(names[3]))
            }
            // Those before it were made; the one taken is untouched; none after it was tried.
            #expect(names[0..<3].allSatisfy { directory.contains($0) })
            #expect(try directory.open(names[3]).identity == taken)
            #expect(names[4...].allSatisfy { !directory.contains($0) })
        }

        @Test func namesDeletedTogetherAreAllGoneAndAMissingOneIsReported() throws {
            let names = (0..<12).map { _ in TestNames.fresh() }
            defer { cleanUp(names, in: directory) }
            try directory.add(Array(names[..<11]), threads: 2)
            let failures = directory.delete(names, threads: 4)
            #expect(failures.map(\.name) == [names[11]])
            #expect(failures.first?.error == .notFound(names[11]))
            #expect(names.allSatisfy { !directory.contains($0) })
            #expect(Set(try ipNetnsList()).isDisjoint(with: names.map(\.rawValue)))
        }

        @Test func addingAnExistingNameFails() throws {
            try withScratchNamespaces(1) { names throws in
                #expect(throws: NetnsError.alreadyExists(names[0])) { try directory.add(names[0]) }
                // The failed add left the original namespace in place.
                #expect(try host("ip", "netns", "exec", names[0].rawValue, "true").status.isSuccess)
            }
        }

        @Test func deletingOrOpeningAMissingNameFails() throws {
            let name = TestNames.fresh()
            defer { cleanUp([name], in: directory) }
            #expect(throws: NetnsError.notFound(name)) { try directory.delete(name) }
            #expect(throws: NetnsError.notFound(name)) { try directory.open(name) }
            #expect(throws: NetnsError.notFound(name)) { try NetnsThread(named: name) }
        }

        @Test func staleFileIsNotANamespaceButCanBeDeleted() throws {
            let name = TestNames.fresh()
            defer { cleanUp([name], in: directory) }
            // What a crash between creating the file and binding the namespace leaves.
            try directory.prepareSharedMount()
            Syscall.close(try Syscall.open(directory.path(of: name), O_RDONLY | O_CREAT | O_EXCL, mode: 0))
            #expect(throws: NetnsError.notANetworkNamespace(path: directory.path(of: name))) {
                try directory.open(name)
            }
            try directory.delete(name)
            #expect(!directory.contains(name))
        }

        @Test func twoNamesForOneNamespaceHaveOneIdentity() throws {
            try withScratchNamespaces(2) { names throws in
                let alias = TestNames.fresh()
                defer { cleanUp([alias], in: directory) }
                // `ip netns attach` binds the namespace of a process to a new name.
                let holder = try NetnsThread(named: names[0])
                defer { holder.close() }
                let tid = try holder.run { Syscall.gettid() }
                try host("ip", "netns", "attach", alias.rawValue, "\(tid)")

                let original = try directory.open(names[0])
                #expect(try directory.open(alias).isSame(as: original))
                #expect(try !directory.open(names[1]).isSame(as: original))
            }
        }
    }
}
