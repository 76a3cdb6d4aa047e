import PodnetKernel
import Testing

@Suite struct SysctlKeyTests {
    @Test func dottedAndSlashed() throws {
        #expect(try SysctlKey("net.ipv4.ip_forward").path == "/proc/sys/net/ipv4/ip_forward")
        let vlan = try SysctlKey("net/ipv4/conf/eth0.100/rp_filter")
        #expect(vlan.path == "/proc/sys/net/ipv4/conf/eth0.100/rp_filter")
        #expect(vlan.description == "net/ipv4/conf/eth0.100/rp_filter")
        #expect(try SysctlKey("net.ipv4.conf.all.rp_filter").description == "net.ipv4.conf.all.rp_filter")
    }

    @Test(arguments: ["kernel.hostname", "vm.swappiness", "net", "", "net..ipv4", "net/ipv4/../../kernel/hostname", "net.ipv4.ip_forward."])
    func rejects(_ text: String) {
        #expect(throws: SysctlError.self) { try SysctlKey(text) }
    }
}
