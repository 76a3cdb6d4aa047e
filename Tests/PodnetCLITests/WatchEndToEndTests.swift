import Foundation
import Testing

/// `podnet watch` running as a process, as a user starts it: its JSON lines read as
/// they come.
final class WatchProcess: @unchecked Sendable {
    /// The lines read so far, shared with the reading thread.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        func line(at index: Int) -> String? { lock.withLock { index < lines.count ? lines[index] : nil } }
    }

    let process = Process()
    private let lines = Lines()
    private let arrived = DispatchSemaphore(value: 0)
    private var reader: Thread?
    private var taken = 0

    /// podnet with `arguments`; with `namespace`, run by `ip netns exec NAMESPACE`
    /// (a host of host mode, emulated).
    init(_ arguments: [String], in namespace: String? = nil) throws {
        if let namespace {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, PodnetBinary.url.path] + arguments
        } else {
            process.executableURL = PodnetBinary.url
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
        let thread = Thread { [lines, arrived] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<end], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...end)
                    lines.append(line)
                    arrived.signal()
                }
            }
            arrived.signal()
        }
        thread.start()
        reader = thread
    }

    /// The next line whose `event` is one of `events`, as a JSON object; the lines
    /// before it are passed over. Waits at most `seconds` (a bound for a broken watch,
    /// not a measurement): nil if none came.
    func next(_ events: Set<String>, within seconds: Double = 30) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            while let line = lines.line(at: taken) {
                taken += 1
                if let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                   let event = object["event"] as? String, events.contains(event) {
                    return object
                }
            }
            guard process.isRunning || lines.line(at: taken) != nil else { return nil }
            if arrived.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow)) == .timedOut, Date() >= deadline { return nil }
        }
    }

    /// Its exit status once it ends by itself (killed after `seconds`: a bound, nil then).
    func exitStatus(within seconds: Double = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { _ = stop(SIGKILL); return nil }
        return process.terminationStatus
    }

    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// The objects a repair line says it made, changed or deleted.
private func objects(_ repair: [String: Any]?) -> [String] {
    ((repair?["operations"] as? [[String: Any]]) ?? []).compactMap { $0["object"] as? String }
}

/// What led to the look (a change that came meanwhile shares it).
private func triggers(_ line: [String: Any]?) -> [String] {
    (line?["triggers"] as? [String]) ?? []
}

/// A lab cluster under a fresh name (`pnw` and six digits), written to a file of its
/// own directory; destroyed and its namespaces removed even when the body fails.
private func withWatchedLab(_ body: (String, URL) throws -> Void) throws {
    let cluster = "pnw" + String(Int.random(in: 100_000...999_999))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(cluster)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let file = directory.appendingPathComponent("lab.yaml")
    let text = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/lab.yaml"), encoding: .utf8)
    try text.replacingOccurrences(of: "\nname: lab\n", with: "\nname: \(cluster)\n").write(to: file, atomically: true, encoding: .utf8)
    defer {
        _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
        _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
        try? FileManager.default.removeItem(at: directory)
    }
    try body(cluster, file)
}

/// `podnet watch` on a real lab: drift made by hand is repaired, an edited file is
/// applied, SIGTERM ends it with status 0 and the cluster left as it is.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct WatchEndToEndTests {
    @Test func driftByHandIsRepairedAnEditIsAppliedAndSIGTERMEndsIt() throws {
        try withWatchedLab { cluster, file in
            let watch = try WatchProcess(["watch", "-o", "json", file.path])
            defer { _ = watch.stop(SIGKILL) }
            // The first look builds the cluster; "watching" once it matches the file.
            let first = watch.next(["repaired", "failed"])
            #expect(first?["event"] as? String == "repaired")
            #expect(first?["triggers"] as? [String] == ["start"])
            let watching = watch.next(["watching", "failed"])
            #expect(watching?["event"] as? String == "watching")
            #expect(watching?["namespaces"] as? Int == 7)
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)

            let node0 = "\(cluster).node-0"
            let drifts: [(String, String, String)] = [
                ("a route", "ip -n \(node0) route del 10.200.1.0/24", "route 10.200.1.0/24"),
                ("a veth", "ip -n \(node0) link del pod-a0", "link veth"),
                ("a bridge port", "ip -n \(node0) link set pod-a1 nomaster", "link veth"),
                ("the nf_tables table", "ip netns exec \(node0) nft delete table ip podnet-\(cluster)", "nftables add table ip podnet-\(cluster)"),
            ]
            for (what, command, repaired) in drifts {
                #expect(try shell(command).status == 0, "\(command)")
                let repair = watch.next(["repaired", "failed"])
                #expect(repair?["event"] as? String == "repaired", "\(what): \(repair ?? [:])")
                #expect(triggers(repair).contains("kernel"), "\(what): \(triggers(repair))")
                #expect(objects(repair).contains { $0.hasPrefix(repaired) }, "\(what): \(objects(repair))")
                // Timed from the notification heard, not from the start of the look.
                #expect((repair?["sinceChange"] as? Double ?? 0) >= (repair?["seconds"] as? Double ?? 1), "\(what)")
                let diff = try PodnetBinary.run(["diff", "--detailed-exitcode", file.path])
                #expect(diff.status == 0, "\(what): left \(diff.stdout)")
            }
            // The pod's veth came back carrying traffic.
            #expect(try shell("ip netns exec \(cluster).a0 ping -c 1 -w 3 10.200.1.2").status == 0)
            // A pod's namespace deleted by hand (watch's sockets in it let go, so that the
            // kernel frees it): made again.
            #expect(try shell("ip netns del \(cluster).a1").status == 0)
            let remade = watch.next(["repaired", "failed"])
            #expect(triggers(remade).contains("namespaces"), "\(remade ?? [:])")
            #expect(objects(remade).contains("namespace \(cluster).a1"), "\(objects(remade))")
            #expect(try shell("ip netns exec \(cluster).a1 ping -c 1 -w 3 10.200.1.2").status == 0)

            // An editor's save (a new file renamed over the old): a pod added is applied.
            let edited = try String(contentsOf: file, encoding: .utf8)
                .replacingOccurrences(of: "  - { name: b1, node: node-1 }\n", with: "  - { name: b1, node: node-1 }\n  - { name: b2, node: node-1 }\n")
            let saved = file.deletingLastPathComponent().appendingPathComponent(".lab.yaml.swp")
            try edited.write(to: saved, atomically: false, encoding: .utf8)
            #expect(rename(saved.path, file.path) == 0)
            let applied = watch.next(["repaired", "failed"])
            // (Late notifications of the namespace made again may share the look.)
            #expect(triggers(applied).contains("file"), "\(applied ?? [:])")
            #expect(objects(applied).contains("namespace \(cluster).b2"), "\(objects(applied))")
            #expect(try shell("ip netns exec \(cluster).b2 ping -c 1 -w 3 10.200.0.2").status == 0)
            // The new pod's namespace is watched too: drift there is repaired.
            #expect(try shell("ip -n \(cluster).b2 route del default").status == 0)
            let inNewPod = watch.next(["repaired", "failed"])
            #expect(objects(inNewPod).contains("route default in \(cluster).b2"), "\(objects(inNewPod))")

            // A pod removed from the file: its namespace goes (watch lets go of it first).
            try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/lab.yaml"), encoding: .utf8)
                .replacingOccurrences(of: "\nname: lab\n", with: "\nname: \(cluster)\n")
                .replacingOccurrences(of: "  - { name: b1, node: node-1 }\n", with: "")
                .write(to: file, atomically: true, encoding: .utf8)
            let removed = watch.next(["repaired", "failed"])
            #expect(removed?["event"] as? String == "repaired", "\(removed ?? [:])")
            #expect(objects(removed).contains("namespace \(cluster).b1"), "\(objects(removed))")
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)

            // SIGTERM: status 0, a last line, and the cluster as it was.
            #expect(watch.stop(SIGTERM) == 0)
            #expect(watch.next(["stopped"], within: 1)?["signal"] as? String == "SIGTERM")
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
        }
    }

    @Test func aFirstLookThatFailsEndsItWithStatus1() throws {
        try withWatchedLab { cluster, file in
            // Another program's namespace where the file wants a pod: apply refuses it.
            #expect(try shell("ip netns add \(cluster).a0 && ip -n \(cluster).a0 link add handmade type bridge").status == 0)
            let watch = try WatchProcess(["watch", "-o", "json", file.path])
            defer { _ = watch.stop(SIGKILL) }
            let failed = watch.next(["failed", "watching"])
            #expect(failed?["event"] as? String == "failed", "\(failed ?? [:])")
            #expect(watch.exitStatus() == 1)
        }
    }

    /// A Kubernetes ConfigMap volume: FILE is a link into `..data`, itself a link to
    /// a directory of the current version; an update renames a new `..data` over it.
    @Test func aConfigMapVolumesUpdateIsApplied() throws {
        try withWatchedLab { cluster, file in
            let volume = file.deletingLastPathComponent().appendingPathComponent("volume").path
            let text = try String(contentsOf: file, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: "\(volume)/..v1", withIntermediateDirectories: true)
            try text.write(toFile: "\(volume)/..v1/lab.yaml", atomically: false, encoding: .utf8)
            #expect(try shell("cd \(volume) && ln -s ..v1 ..data && ln -s ..data/lab.yaml lab.yaml").status == 0)
            let watch = try WatchProcess(["watch", "-o", "json", "\(volume)/lab.yaml"])
            defer { _ = watch.stop(SIGKILL) }
            #expect(watch.next(["watching"])?["cluster"] as? String == cluster)

            try FileManager.default.createDirectory(atPath: "\(volume)/..v2", withIntermediateDirectories: true)
            try text.replacingOccurrences(of: "  - { name: b1, node: node-1 }\n", with: "  - { name: b1, node: node-1 }\n  - { name: b2, node: node-1 }\n")
                .write(toFile: "\(volume)/..v2/lab.yaml", atomically: false, encoding: .utf8)
            #expect(try shell("cd \(volume) && ln -s ..v2 ..data_tmp && mv -T ..data_tmp ..data").status == 0)
            let applied = watch.next(["repaired", "failed"])
            #expect(triggers(applied).contains("file"), "\(applied ?? [:])")
            #expect(objects(applied).contains("namespace \(cluster).b2"), "\(objects(applied))")
            #expect(watch.stop(SIGTERM) == 0)
        }
    }

    @Test func anInvalidEditIsReportedAndTheLastValidFileKept() throws {
        try withWatchedLab { cluster, file in
            let watch = try WatchProcess(["watch", "-o", "json", file.path])
            defer { _ = watch.stop(SIGKILL) }
            #expect(watch.next(["watching"])?["cluster"] as? String == cluster)
            let original = try String(contentsOf: file, encoding: .utf8)
            try original.replacingOccurrences(of: "podCIDR", with: "podCidr").appending("  - { name: zz, node: nowhere }\n")
                .write(to: file, atomically: true, encoding: .utf8)
            #expect(watch.next(["file-invalid", "repaired"])?["event"] as? String == "file-invalid")
            // Still watching, still the last valid file.
            #expect(try shell("ip -n \(cluster).a1 route del default").status == 0)
            let repair = watch.next(["repaired", "failed"])
            #expect(objects(repair).contains("route default in \(cluster).a1"), "\(objects(repair))")
            #expect(watch.stop(SIGINT) == 0)
        }
    }

    /// Host mode, as contrib/podnet-watch@.service runs it: on a host (emulated as a
    /// namespace, `ip netns exec` being where podnet runs) watch keeps the node's own
    /// routes and its pods as the file says, and leaves the host's other links alone.
    @Test func hostModeRepairsTheNodesRoutesAndItsPods() throws {
        let tag = "pnw" + String(Int.random(in: 100_000...999_999))
        let hosts = (0..<3).map { "\(tag)-h\($0)" }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag).yaml")
        try HostModeEndToEndTests.cluster(tag, backend: "host-gw").write(to: file, atomically: true, encoding: .utf8)
        defer {
            _ = try? shell("ip netns exec \(hosts[0]) \(PodnetBinary.url.path) destroy --node node-0 \(file.path)")
            _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(tag)'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        #expect(try shell(HostModeEndToEndTests.hostSetup(tag: tag, hosts: hosts)).status == 0)
        let watch = try WatchProcess(["watch", "-o", "json", "--node", "node-0", file.path], in: hosts[0])
        defer { _ = watch.stop(SIGKILL) }
        let watching = watch.next(["watching", "failed"])
        #expect(watching?["event"] as? String == "watching", "\(watching ?? [:])")
        // The host's namespace and node-0's two pods.
        #expect(watching?["namespaces"] as? Int == 3)

        #expect(try shell("ip -n \(hosts[0]) route del 10.200.1.0/24").status == 0)
        let route = watch.next(["repaired", "failed"])
        #expect(objects(route).contains { $0.hasPrefix("route 10.200.1.0/24") }, "\(route ?? [:])")
        #expect(try shell("ip -n \(tag).a0 route del default").status == 0)
        let pod = watch.next(["repaired", "failed"])
        #expect(objects(pod).contains("route default in \(tag).a0"), "\(pod ?? [:])")
        // The host's own links, not podnet's, changed: left alone. The next repair
        // (of a pod's route) holds that route and nothing of them.
        #expect(try shell("ip -n \(hosts[0]) link del keepme").status == 0)
        #expect(try shell("ip -n \(hosts[0]) link set uplink0 mtu 1400").status == 0)
        #expect(try shell("ip -n \(tag).a1 route del default").status == 0)
        let next = watch.next(["repaired", "failed"])
        #expect(objects(next) == ["route default in \(tag).a1"], "\(next ?? [:])")
        #expect(watch.stop(SIGTERM) == 0)
        #expect(try shell("ip netns exec \(hosts[0]) \(PodnetBinary.url.path) diff --detailed-exitcode --node node-0 \(file.path)").status == 0)
    }
}

/// `podnet watch` on the dual-stack example: the IPv6 side drifts and is repaired
/// like the IPv4 one (the watch hears RTNLGRP_IPV6_IFADDR and _ROUTE, and permanent
/// NDP entries), and the kernel's own IPv6 churn (link-local addresses, their DAD,
/// proto kernel routes) starts no look of its own.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct DualStackWatchEndToEndTests {
    @Test func ipv6DriftByHandIsRepaired() throws {
        try withTestCluster(example: "dual-stack") { cluster, file in
            let watch = try WatchProcess(["watch", "-o", "json", file.path])
            defer { _ = watch.stop(SIGKILL) }
            #expect(watch.next(["repaired", "failed"])?["event"] as? String == "repaired")
            #expect(watch.next(["watching", "failed"])?["event"] as? String == "watching")
            let node0 = "\(cluster).node-0"
            let drifts: [(String, String, String)] = [
                ("an IPv6 route", "ip -n \(node0) -6 route del fd00:200:0:1::/64", "route fd00:200:0:1::/64"),
                ("an NDP entry", "ip -n \(node0) -6 neigh del fd00:200:0:2:: dev vxlan0", "neighbour fd00:200:0:2::"),
                ("a pod's IPv6 address", "ip -n \(cluster).b -6 addr del fd00:200:0:1::2/64 dev eth0", "address fd00:200:0:1::2/64"),
            ]
            for (what, command, repaired) in drifts {
                #expect(try shell(command).status == 0, "\(command)")
                let repair = watch.next(["repaired", "failed"])
                #expect(repair?["event"] as? String == "repaired", "\(what): \(repair ?? [:])")
                #expect(objects(repair).contains { $0.hasPrefix(repaired) }, "\(what): \(objects(repair))")
                #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0, "\(what)")
            }
            #expect(try shell("ip netns exec \(cluster).a0 ping -c 1 -W 2 fd00:200:0:1::2").status == 0)
            #expect(try shell("ip netns exec \(cluster).a0 ping -c 1 -W 2 fd00:200:0:2::2").status == 0)
            #expect(watch.stop(SIGTERM) == 0)
        }
    }
}
