import ArgumentParser
import FoundationEssentials
import Glibc
import PodnetKernel
import PodnetPlan

/// `podnet watch`'s loop: one thread that sleeps in epoll_wait on every descriptor that
/// can tell of drift, and looks at the cluster when `WatchSchedule` says so. The
/// thread never changes namespace; the sockets are opened by threads that enter the
/// namespaces (`ClusterSubscriptions`).
final class WatchLoop {
    let path: String
    let host: String?
    let log: WatchLog
    /// Also a line for each look that found nothing to do.
    var verbose = false
    private var schedule: WatchSchedule
    /// The last valid version of the file: what the cluster is kept equal to.
    private var file: TopologyFile
    /// The text of the last version found invalid (reported once).
    private var rejectedText: String?
    private var cluster: String
    private let signals: TerminationSignals
    private let fileWatch: DirectoryWatch
    private let fileName: String
    private let namespaceWatch: DirectoryWatch
    private let readiness: Readiness
    private let subscriptions: ClusterSubscriptions
    /// Whether the "watching" line was printed: once the cluster first matched the file.
    private var announced = false

    init(path: String, host: String?, debounce: Double, resync: Double?, log: WatchLog) throws {
        // First of all, before any thread starts: the threads inherit the blocked signals.
        do { signals = try TerminationSignals() } catch {
            Terminal.writeError("podnet: error: cannot receive signals (signalfd): \(error)")
            throw ExitCode.failure
        }
        self.path = path
        self.host = host
        self.log = log
        file = TopologyFile(path: path)
        file.reportDiagnostics()
        guard let topology = file.result.topology else { throw ExitCode.failure }
        cluster = topology.name
        // Two descriptors per namespace: more than the default 1,024 for a big lab.
        OpenFileLimit.raiseToHardLimit()
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        fileName = String(path.split(separator: "/").last ?? Substring(path))
        let netns = NetnsDirectory().path
        do {
            fileWatch = try DirectoryWatch(directory: directory.isEmpty ? "/" : directory)
            if mkdir(netns, 0o755) != 0, errno != EEXIST {
                throw Errno(rawValue: errno)
            }
            namespaceWatch = try DirectoryWatch(directory: netns, events: .removals)
            readiness = try Readiness()
            for fd in [signals.fileDescriptor, fileWatch.fileDescriptor, namespaceWatch.fileDescriptor] { try readiness.add(fd) }
        } catch {
            Terminal.writeError("podnet: error: cannot watch \(directory) and \(netns) (inotify): \(error)")
            throw ExitCode.failure
        }
        subscriptions = ClusterSubscriptions(readiness: readiness)
        schedule = WatchSchedule(debounce: debounce, resyncInterval: resync, now: WatchSchedule.now())
        if host != nil { RouteProtocolName.install() }
    }

    func run() -> Never {
        while true {
            let now = WatchSchedule.now()
            let triggers = schedule.due(at: now)
            if !triggers.isEmpty {
                look(triggers)
                continue
            }
            let ready: [FileDescriptor]
            do {
                ready = try readiness.wait(timeout: schedule.timeout(at: now))
            } catch {
                Terminal.writeError("podnet: error: epoll_wait: \(error)")
                QuickExit.now(1)
            }
            let woken = WatchSchedule.now()
            if ready.contains(signals.fileDescriptor) { handleSignals(at: woken) }
            if ready.contains(fileWatch.fileDescriptor) { handleFileChanges(at: woken) }
            if ready.contains(namespaceWatch.fileDescriptor),
               let changes = try? namespaceWatch.take(namesStartingWith: cluster + "."),
               changes.lostTrack || !changes.names.isEmpty {
                schedule.note(.namespaces, at: woken)
            }
            let sockets = ready.filter(subscriptions.holds)
            if !sockets.isEmpty, (try? subscriptions.drain(sockets)) ?? true { schedule.note(.kernel, at: woken) }
        }
    }

    private func handleSignals(at now: Double) {
        for signal in (try? signals.take()) ?? [] {
            switch signal {
            case SIGHUP:
                reloadFile()
                schedule.lookAgain(.resync)
            default:
                log.stopped(cluster: cluster, signal: signal == SIGINT ? "SIGINT" : "SIGTERM")
                QuickExit.now(0)
            }
        }
    }

    private func handleFileChanges(at now: Double) {
        // "..data": a Kubernetes ConfigMap volume swaps its files by renaming that
        // symbolic link, and the file's own name sees no event.
        guard let changes = try? fileWatch.take(),
              changes.lostTrack || changes.names.contains(fileName) || changes.names.contains("..data") else { return }
        if reloadFile() { schedule.note(.file, at: now) }
    }

    /// Reads the file again; true if it is valid and says something else than before
    /// (only then is it parsed). A file with errors is reported, and the last valid
    /// version kept.
    @discardableResult
    private func reloadFile() -> Bool {
        if let data = try? Data(contentsOf: URL(fileURLWithPath: path)),
           case let text = String(decoding: data, as: UTF8.self), text == file.text || text == rejectedText {
            return false
        }
        let edited = TopologyFile(path: path)
        guard edited.text != file.text else { return false }
        guard let topology = edited.result.topology else {
            // Saved half-written, or a mistake: say so once per version, keep the last good one.
            rejectedText = edited.text
            edited.reportDiagnostics()
            log.fileInvalid(cluster: cluster, file: path)
            return false
        }
        edited.reportDiagnostics()
        file = edited
        cluster = topology.name
        return true
    }

    /// Reads the cluster, plans, and applies the plan when it is not empty: under the
    /// cluster's lock, so never at the same time as an apply or destroy.
    private func look(_ triggers: Set<WatchSchedule.Trigger>) {
        let lock: ClusterLock
        do {
            lock = try ClusterLock(cluster: cluster, wait: false) {}
        } catch {
            schedule.busy(at: WatchSchedule.now())
            return
        }
        defer { withExtendedLifetime(lock) {} }
        let started = WatchSchedule.now()
        let heard = schedule.pendingSince
        do {
            let state = try ClusterState.load(path: path, first: file, quiet: true, host: host)
            let plan = try state.plan()
            // Subscribe where the cluster is, and let go of the namespaces the plan
            // deletes: a namespace with a socket in it is not freed, nor its links.
            var deleted: Set<String> = []
            for planned in plan.operations { if case .deleteNamespace(let name) = planned.operation { deleted.insert(name) } }
            let live = Set(state.live.namespaces.keys).subtracting(deleted)
            let followed = try subscriptions.follow(Set(live.compactMap { try? NetnsName($0) }), processNamespace: host != nil)
            guard !plan.isEmpty else {
                state.keepRecords(ofTablesUnchangedBy: plan)
                if verbose { log.matched(cluster: cluster, triggers: triggers, seconds: WatchSchedule.now() - started) }
                schedule.lookedAt(at: WatchSchedule.now())
                // A namespace just subscribed to may have changed between the read and
                // the subscription: read once more.
                if followed.added > 0 { schedule.lookAgain(.recheck) }
                if !announced {
                    announced = true
                    log.watching(cluster: cluster, file: path, namespaces: subscriptions.count, resync: schedule.resyncInterval)
                }
                return
            }
            let outcome = try Reconciliation.apply(plan, from: state, verify: !deleted.isEmpty, beforeVerifying: { [subscriptions] in
                // The notifications of the changes just made: forgotten before the kernel
                // is read again, so that what comes after is someone else's.
                _ = try? subscriptions.drain()
            })
            log.repaired(cluster: cluster, plan: plan, triggers: triggers, seconds: outcome.seconds,
                         sinceChange: heard.map { WatchSchedule.now() - $0 }, namespaces: subscriptions.count, notUp: outcome.notUp)
            schedule.lookedAt(at: WatchSchedule.now())
            schedule.lookAgain(.recheck)
        } catch let failure as Reconciliation.Failure {
            fail(triggers, failure.text)
        } catch is ExitCode {
            fail(triggers, "see the error above")   // ClusterState and KernelFeatureCheck report on stderr
        } catch {
            fail(triggers, "\(error)")
        }
    }

    private func fail(_ triggers: Set<WatchSchedule.Trigger>, _ text: String) {
        guard announced else {
            // The first look: nothing is watched yet that a retry could build on (the
            // file wants what this kernel cannot do, not root, …). Say so and stop.
            log.failed(cluster: cluster, triggers: triggers, error: text, retryIn: nil)
            QuickExit.now(1)
        }
        let now = WatchSchedule.now()
        schedule.failed(at: now)
        _ = try? subscriptions.drain()
        log.failed(cluster: cluster, triggers: triggers, error: text, retryIn: schedule.timeout(at: now))
    }
}
