import Glibc
import PodnetAddress
@testable import PodnetKernel
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan
import Testing

/// IPVS against the real kernel. This machine's kernel has no IPVS: there the lookup
/// must fail with the clear error, before anything is changed. On a kernel with
/// IPVS (the full-kernel lane runs the same code through podnet apply) the
/// round trip runs instead.
extension KernelTests {
    @Suite struct IPVSKernelTests {
        static var kernelHasIPVS: Bool {
            guard let socket = try? KernelNetlinkSocket(bus: .generic) else { return false }
            return (try? NetlinkConnection(socket: socket).genericFamily(named: "IPVS")) != nil
        }

        @Test func theFamilyLookupSaysWhatIsMissing() throws {
            let connection = NetlinkConnection(socket: try KernelNetlinkSocket(bus: .generic))
            do {
                let family = try connection.genericFamily(named: "IPVS")
                #expect(family.id >= 0x10, "a kernel with IPVS gives it a dynamic id")
            } catch .missing(let missing) {
                #expect(missing.description == "the kernel has no IPVS (CONFIG_IP_VS, module ip_vs)")
            }
        }

        @Test func theControllerItselfIsFound() throws {
            let connection = NetlinkConnection(socket: try KernelNetlinkSocket(bus: .generic))
            let controller = try connection.genericFamily(named: "nlctrl")
            #expect(controller.id == 0x10)
            #expect(controller.name == "nlctrl")
        }

        @Test func theProbeRefusesWithTheReasonOrFindsNothingMissing() throws {
            let missing = try KernelFeatures.missingIPVSFeatures()
            if Self.kernelHasIPVS {
                #expect(!missing.contains { if case .ipvs = $0 { return true } else { return false } })
            } else {
                #expect(missing.first?.description == "the kernel has no IPVS (CONFIG_IP_VS, module ip_vs); load it with 'modprobe ip_vs' where the kernel has it")
            }
        }

        /// A dual-stack cluster's probe also makes an IPv6 service: found unless IPVS
        /// lacks CONFIG_IP_VS_IPV6 (the full-kernel lane's apply of ipvs-dual-stack runs it).
        @Test func theIPv6ProbeReportsIPv6OnlyWhereIPVSLacksIt() throws {
            let missing = try KernelFeatures.missingIPVSFeatures(ipv6: true)
            if Self.kernelHasIPVS {
                #expect(!missing.contains(.ipv6))
            } else {
                #expect(!missing.contains(.ipv6), "no IPVS at all is reported as that, not as missing IPv6")
                #expect(missing.contains { if case .ipvs = $0 { return true } else { return false } })
            }
            #expect(MissingIPVSFeature.ipv6.description.hasPrefix("the kernel's IPVS has no IPv6 (CONFIG_IP_VS_IPV6)"))
        }

        @Test func theDriverOfANamespaceRefusesOrRoundTrips() throws {
            try withScratchNamespaces(1) { names in
                let namespace = NamespaceRef.named(names[0].rawValue)
                guard Self.kernelHasIPVS else {
                    #expect {
                        _ = try IPVSDriver.open(namespace)
                    } throws: { error in
                        (error as? IPVSError)?.description == "the kernel has no IPVS (CONFIG_IP_VS, module ip_vs)"
                    }
                    return
                }
                // A real server must be a unicast address to the namespace's routing
                // (ip_vs_new_dest: inet_addr_type); a namespace without any routing
                // table answers "broadcast" (EINVAL), so lo comes up first.
                try host("ip", "-n", names[0].rawValue, "link", "set", "lo", "up")
                let driver = try IPVSDriver.open(namespace)
                let id = IPVSService.ID(namespace: namespace, protocol: .tcp, address: IPv4Address(10, 96, 0, 2), port: 8080)
                let desired = IPVSService(id: id, destinations: [IPVSDestination(address: IPv4Address(10, 200, 0, 2), port: 8080),
                                                                 IPVSDestination(address: IPv4Address(10, 200, 1, 2), port: 8080)])
                // Made, read back equal, then nothing to do; deleted with its real servers.
                let creation = IPVSDiff.changes(live: try driver.services(), desired: [desired])
                #expect(creation.count == 3)
                try driver.apply(creation)
                #expect(try driver.services() == [desired])
                #expect(IPVSDiff.changes(live: try driver.services(), desired: [desired]).isEmpty)
                let removal = IPVSDiff.changes(live: try driver.services(), desired: [])
                #expect(removal.map(\.service) == [id])
                try driver.apply(removal)
                #expect(try driver.services().isEmpty)
            }
        }
    }
}
