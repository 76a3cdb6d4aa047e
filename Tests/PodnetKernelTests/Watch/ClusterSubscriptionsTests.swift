import Foundation
import Testing
@testable import PodnetKernel

/// Names for this suite's namespaces: `pnw-` and random digits.
private func freshName() -> NetnsName {
    try! NetnsName("pnw-k-" + String(UInt64.random(in: 0...UInt64.max), radix: 36))
}

/// Runs `body` with fresh namespaces, deleted afterwards whatever happens.
private func withWatchNamespaces(_ count: Int, _ body: ([NetnsName]) throws -> Void) throws {
    let directory = NetnsDirectory()
    var made: [NetnsName] = []
    defer {
        for name in made { try? directory.delete(name) }
        HomeCheck.expectUntouched()
    }
    for _ in 0..<count {
        let name = freshName()
        try directory.add(name)
        made.append(name)
    }
    try body(made)
}

/// Waits (poll, up to 5 s: a bound for a broken kernel, not a measurement) for a
/// notification, then drains: whether it was drift.
private func heardDrift(_ subscriptions: ClusterSubscriptions) throws -> Bool {
    let ready = try Readiness.wait(for: subscriptions.descriptors, timeout: 5)
    guard !ready.isEmpty else { return false }
    return try subscriptions.drain()
}

/// The notifications `podnet watch` waits on, from namespaces the test makes.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct ClusterSubscriptionsTests {
    @Test func linkRouteAddressAndNFTablesChangesInAWatchedNamespaceAreHeard() throws {
        try withWatchNamespaces(1) { names in
            let name = names[0].rawValue
            let subscriptions = ClusterSubscriptions()
            let followed = try subscriptions.follow(Set(names), processNamespace: false)
            #expect(followed.added == 1 && followed.dropped == 0)
            #expect(subscriptions.count == 1)
            #expect(try subscriptions.drain() == false)

            try host("ip", "-n", name, "link", "add", "pnwbr0", "type", "bridge")
            #expect(try heardDrift(subscriptions))
            try host("ip", "-n", name, "link", "set", "pnwbr0", "up")
            try host("ip", "-n", name, "addr", "add", "10.250.0.1/24", "dev", "pnwbr0")
            #expect(try heardDrift(subscriptions))
            try host("ip", "-n", name, "route", "add", "10.251.0.0/24", "via", "10.250.0.2")
            _ = try heardDrift(subscriptions)
            try host("ip", "-n", name, "route", "del", "10.251.0.0/24")
            #expect(try heardDrift(subscriptions))
            try host("ip", "netns", "exec", name, "nft", "add", "table", "ip", "pnwtest")
            #expect(try heardDrift(subscriptions))
            // Nothing else happened: nothing is left to hear.
            #expect(try subscriptions.drain() == false)
        }
    }

    @Test func aNamespaceNotFollowedIsNotHeard() throws {
        try withWatchNamespaces(2) { names in
            let subscriptions = ClusterSubscriptions()
            try subscriptions.follow([names[0]], processNamespace: false)
            try host("ip", "-n", names[1].rawValue, "link", "add", "pnwbr0", "type", "bridge")
            #expect(try Readiness.wait(for: subscriptions.descriptors, timeout: 0.2).isEmpty)
            #expect(try subscriptions.drain() == false)
        }
    }

    @Test func aNameDeletedOrBoundAgainIsLetGoAndFollowedAgain() throws {
        try withWatchNamespaces(2) { names in
            let directory = NetnsDirectory()
            let subscriptions = ClusterSubscriptions()
            try subscriptions.follow(Set(names), processNamespace: false)
            #expect(subscriptions.count == 2)
            // A namespace no longer wanted is let go: the socket would keep it alive.
            #expect(try subscriptions.follow([names[0]], processNamespace: false) == (added: 0, dropped: 1))
            // The name bound to another namespace (deleted and added again): the old
            // subscription is dropped, one in the new namespace made.
            try directory.delete(names[0])
            try directory.add(names[0])
            #expect(try subscriptions.follow([names[0]], processNamespace: false) == (added: 1, dropped: 1))
            try host("ip", "-n", names[0].rawValue, "link", "add", "pnwbr0", "type", "bridge")
            #expect(try heardDrift(subscriptions))
            // A name gone: nothing to subscribe to, and no error.
            try directory.delete(names[0])
            #expect(try subscriptions.follow([names[0]], processNamespace: false) == (added: 0, dropped: 1))
            #expect(subscriptions.count == 0)
        }
    }

    @Test func theProcessNamespaceIsSubscribedFromTheCallingThread() throws {
        let subscriptions = ClusterSubscriptions()
        #expect(try subscriptions.follow([], processNamespace: true) == (added: 1, dropped: 0))
        #expect(subscriptions.descriptors.count == 2)
        #expect(try subscriptions.follow([], processNamespace: false) == (added: 0, dropped: 1))
        HomeCheck.expectUntouched()
    }
}

/// inotify on a directory, as watch follows its file and /run/netns.
@Suite struct DirectoryWatchTests {
    @Test func aFileWrittenOrRenamedOverIsNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pnw-dir-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let watch = try DirectoryWatch(directory: directory.path)
        #expect(try watch.take() == DirectoryWatch.Changes())

        try "a".write(to: directory.appendingPathComponent("cluster.yaml"), atomically: false, encoding: .utf8)
        #expect(try Readiness.wait(for: [watch.fileDescriptor], timeout: 5) == [watch.fileDescriptor])
        #expect(try watch.take().names == ["cluster.yaml"])
        // An editor's save: a new file renamed over the old one.
        try "b".write(to: directory.appendingPathComponent(".cluster.yaml.swp"), atomically: false, encoding: .utf8)
        _ = rename(directory.appendingPathComponent(".cluster.yaml.swp").path, directory.appendingPathComponent("cluster.yaml").path)
        #expect(try watch.take().names == [".cluster.yaml.swp", "cluster.yaml"])
        #expect(try watch.take() == DirectoryWatch.Changes())
    }

    @Test func eventsAreParsedWithTheirNamesAndAnOverflowLosesTrack() {
        func event(mask: Int, name: String) -> [UInt8] {
            var bytes: [UInt8] = []
            func append(_ value: UInt32) { withUnsafeBytes(of: value) { bytes += $0 } }
            let padded = name.isEmpty ? 0 : (name.utf8.count / 16 + 1) * 16
            append(1); append(UInt32(mask)); append(0); append(UInt32(padded))
            bytes += Array(name.utf8) + [UInt8](repeating: 0, count: padded - name.utf8.count)
            return bytes
        }
        var changes = DirectoryWatch.Changes()
        DirectoryWatch.parse((event(mask: Int(IN_CREATE), name: "lab.a0") + event(mask: Int(IN_DELETE), name: "lab.b0")
                              + event(mask: Int(IN_CREATE), name: "lab.a0"))[...], into: &changes)
        #expect(changes == DirectoryWatch.Changes(names: ["lab.a0", "lab.b0"], lostTrack: false))
        DirectoryWatch.parse(event(mask: Int(IN_Q_OVERFLOW), name: "")[...], into: &changes)
        #expect(changes.lostTrack)
        // Only the names of one cluster kept.
        var cluster = DirectoryWatch.Changes()
        DirectoryWatch.parse((event(mask: Int(IN_DELETE), name: "other.a0") + event(mask: Int(IN_DELETE), name: "lab.b0")
                              + event(mask: Int(IN_DELETE), name: "lab")) [...], keeping: Array("lab.".utf8), into: &cluster)
        #expect(cluster == DirectoryWatch.Changes(names: ["lab.b0"], lostTrack: false))
    }
}
