import ArgumentParser
import Glibc

@main
struct Podnet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "podnet",
        abstract: "Rebuild Kubernetes pod networking from Linux primitives, declaratively.",
        discussion: """
        podnet reads a cluster description (nodes, pod CIDRs, pods, services, a cross-node \
        backend and a service proxy mode) and makes the kernel equal to it: network \
        namespaces for pods and nodes, veth pairs, bridges, routes, tunnels and \
        load-balancing rules, as seed 003 builds them by hand with ip, bridge and iptables.

        A topology file looks like this (see topologies/ for one per scenario):

          name: lab
          clusterCIDR: 10.200.0.0/16
          nodes:
            - { name: node-0 }
          pods:
            - { name: a0, node: node-0 }
            - { name: a1, node: node-0 }

        Start with:
          podnet validate topologies/lab.yaml            check a file; errors point at line and column
          podnet validate -o json topologies/lab.yaml    the resolved topology, every default filled in
          sudo podnet diff topologies/lab.yaml           the plan, as the ip commands of seed 003
          sudo podnet apply topologies/lab.yaml          build it: namespaces, veths, bridges, routes, rules
          sudo podnet check topologies/lab.yaml          every pod to every pod and service, measured
          sudo podnet exec --cluster lab a0 -- ip addr   look inside a pod
          sudo podnet watch topologies/lab.yaml          keep it equal to the file: repair drift as it happens
          sudo podnet destroy topologies/lab.yaml        remove everything podnet made

        Exit status: 0 success, 1 the file or the operation failed, 64 a usage mistake.
        """,
        version: PodnetVersion.current,
        // Every subcommand names itself (commandName): otherwise ArgumentParser derives
        // the names from the type names by reflection at every start, a scan of the
        // binary's protocol conformances that cost each run about half a millisecond.
        subcommands: [Validate.self, Apply.self, Diff.self, Destroy.self, Show.self, Exec.self, Check.self, Graph.self,
                      Trace.self, Watch.self]
    )
}

enum PodnetVersion {
    static let current = "0.1.0"
}
