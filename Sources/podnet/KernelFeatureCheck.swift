import ArgumentParser
import Glibc
import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetTopology

/// What apply checks before changing anything: that this kernel has every feature
/// the plan needs (link kinds such as ipip and dummy, br_netfilter, IPVS). Each
/// missing one is named with what would provide it, all of them at once, and the
/// cluster is left untouched.
enum KernelFeatureCheck {
    static func require(for plan: Plan, topology: Topology) throws {
        let problems = try self.problems(for: plan, topology: topology)
        guard !problems.isEmpty else { return }
        for problem in problems { Terminal.writeError("podnet: error: cluster '\(topology.name)': \(problem)") }
        throw ExitCode.failure
    }

    static func problems(for plan: Plan, topology: Topology) throws -> [String] {
        var problems: [String] = []
        var kinds: Set<String> = []
        var bridgeSysctl = false
        var ipvs = false
        var ipvs6 = false
        for planned in plan.operations {
            switch planned.operation {
            case .addLink(let link, _): kinds.insert(link.kind.kernelName)
            case .setSysctl(let sysctl) where sysctl.id.key.hasPrefix("net.bridge."): bridgeSysctl = true
            case .ipvs(.addService(let service)):
                ipvs = true
                ipvs6 = ipvs6 || service.id.family == .ipv6
            default: break
            }
        }
        if bridgeSysctl, !KernelFeatures.ensure("/proc/sys/net/bridge", module: "br_netfilter") {
            problems.append("services need bridged traffic to pass the IP hooks (net.bridge.bridge-nf-call-iptables), and this kernel has no br_netfilter (CONFIG_BRIDGE_NETFILTER, module br_netfilter); nothing was changed.\n  Load it with 'modprobe br_netfilter'.")
        }
        for absent in try KernelFeatures.missingLinkKinds(kinds) {
            var text = "this kernel has no '\(absent.kind)' link type"
            if let provider = absent.provider { text += " (\(provider.config), module \(provider.module))" }
            text += "; nothing was changed."
            switch absent.kind {
            case "ipip":
                text += "\n  Load it with 'modprobe ipip' where the kernel has it, or choose another backend: 'network: { backend: vxlan }' or 'network: { backend: host-gw }'."
            case "sit":
                text += "\n  A dual-stack ipip cluster carries its IPv6 pods in sit (6in4) tunnels. Load it with 'modprobe sit' where the kernel has it, or choose 'network: { backend: vxlan }' (both families over one device)."
            case "dummy" where topology.proxy.mode == .ipvs:
                text += "\n  proxy.mode ipvs holds the ClusterIPs on a dummy device (kube-ipvs0). Load it with 'modprobe dummy' where the kernel has it, or choose another proxy mode: 'proxy: { mode: nftables }' or 'proxy: { mode: iptables }'."
            default: break
            }
            problems.append(text)
        }
        if ipvs {
            // br_netfilter is reported above when the plan sets its sysctl.
            let bridges = topology.nodes.contains { $0.bridge != nil } && !bridgeSysctl
            let missing = try KernelFeatures.missingIPVSFeatures(scheduler: IPVSService.roundRobin, bridgeNetfilter: bridges, ipv6: ipvs6)
            if !missing.isEmpty {
                problems.append("proxy.mode ipvs cannot work on this kernel; nothing was changed:\n  "
                                + missing.map(\.description).joined(separator: "\n  ")
                                + "\n  Or choose another proxy mode: 'proxy: { mode: nftables }' or 'proxy: { mode: iptables }'.")
            }
        }
        return problems
    }
}
