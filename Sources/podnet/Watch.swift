import ArgumentParser

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Keep the kernel equal to a topology file: repair drift as it happens.",
        discussion: """
        Applies the file as `podnet apply` does, then stays: it hears every change of \
        links, addresses, routes, neighbour and FDB entries (rtnetlink) and of nf_tables \
        (nfnetlink) in every namespace of the cluster, the file being saved (inotify on \
        its directory: editors save by renaming) and the cluster's namespaces deleted \
        (/run/netns); the namespaces a repair makes are subscribed to at once. A change is looked at once none has come for --debounce (at most \
        half a second after the first), and repaired with the same minimal plan as \
        apply, under the same per-cluster lock, one at a time. Each repair is one line \
        on stdout (-o json: one JSON object per line), printed once the kernel has taken \
        every operation; the notifications of its own changes are forgotten, and the \
        look that follows at once reads the kernel back (a look that finds nothing to \
        do prints nothing; --verbose prints it too).

        Idle, it uses no processor: it sleeps in epoll_wait(2) on its descriptors, and the \
        only timer is the periodic full resync (--resync, default 5m), which also \
        catches what the kernel announces to nobody (sysctls, IPVS, legacy iptables). \
        An edited file that has errors is reported and the last valid version is kept. \
        A failed repair is retried after 1 s, 2 s, 4 s, … (at most a minute), or at \
        once when the file changes. SIGTERM or SIGINT (^C) ends it between two repairs \
        with status 0, the cluster left as it is; SIGHUP reads the file again and resyncs.

        Host mode (--node NAME) as for apply: this machine is node NAME; it watches the \
        node's own namespace (where podnet runs) and its pods'. \
        contrib/podnet-watch@.service runs it under systemd, one unit per node name.

        Examples:
          podnet watch topologies/lab.yaml
          podnet watch -o json --resync 1m topologies/lab.yaml | jq -c 'select(.event == "repaired")'
          podnet watch --node node-1 /etc/podnet/cluster.yaml      # on the host that is node-1

        Exit status: 0 stopped by a signal; 1 the file invalid at start, or the first \
        look failed (the kernel unreadable, not root, the plan refused); 64 a usage mistake.
        """
    )

    @Option(help: ArgumentHelp("Host mode: this machine is node NAME of a real cluster (see podnet help apply).", valueName: "NAME"))
    var node: String?

    @Option(help: ArgumentHelp("A full resync this often even without a change (ms, s, m, h; 'off' for none).", valueName: "DURATION"))
    var resync = WatchDuration(seconds: 300)

    @Option(help: ArgumentHelp("Quiet time after a change before looking (ms, s).", valueName: "DURATION"))
    var debounce = WatchDuration(seconds: 0.05)

    @Option(name: .shortAndLong, help: "Output format: text (a line per repair), or json (a JSON object per line: event, time, cluster, triggers, seconds, summary, operations).")
    var output: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "Also a line for each look that found nothing to do (what woke it, how long the look took).")
    var verbose = false

    @Argument(help: "The topology file.")
    var file: String

    func run() throws {
        let loop = try WatchLoop(path: file, host: node, debounce: debounce.seconds ?? 0,
                                 resync: resync.seconds, log: WatchLog(format: output))
        loop.verbose = verbose
        loop.run()
    }
}
