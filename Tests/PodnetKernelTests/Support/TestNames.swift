@testable import PodnetKernel

/// Names no user would choose; `ip netns list | grep pntest-ns-` finds any leftover.
enum TestNames {
    static let prefix = "pntest-ns-"

    /// A fresh name; `prefix` lets a suite's namespaces be told apart from the others'
    /// (the dual-stack iptables and IPVS tests use `pni6-`).
    static func fresh(prefix: String = prefix) -> NetnsName {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return try! NetnsName(prefix + suffix)
    }
}
