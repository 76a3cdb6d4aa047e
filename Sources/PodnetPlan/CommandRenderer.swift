import PodnetAddress
import PodnetKernelModel

/// A plan as the iproute2 commands a student could paste (`diff --output
/// commands`), in the words of seed 003. Each operation may need several commands
/// (a veth pair is created, then its far end configured).
public enum CommandRenderer {
    public static func commands(for operation: Operation) -> [String] {
        switch operation {
        case .addNamespace(let namespace):
            return ["ip netns add \(namespace.name)"]
        case .deleteNamespace(let name):
            return ["ip netns del \(name)"]
        case .addLink(let link, let peer):
            return addLink(link, peer: peer)
        case .setLink(let link, let current):
            return setLink(link, current: current)
        case .deleteLink(let id):
            return ["ip \(id.namespace.ipOption)link del \(id.name)"]
        case .addAddress(let address):
            return ["ip \(address.link.namespace.ipOption)\(familyOption(address.family))addr add \(address.address) dev \(address.link.name)\(address.family == .ipv6 ? " nodad" : "")"]
        case .deleteAddress(let address):
            return ["ip \(address.link.namespace.ipOption)\(familyOption(address.family))addr del \(address.address) dev \(address.link.name)"]
        case .addRoute(let route):
            return ["ip \(route.id.namespace.ipOption)\(familyOption(route.family))route add \(routeSpec(route))"]
        case .replaceRoute(let route):
            return ["ip \(route.id.namespace.ipOption)\(familyOption(route.family))route replace \(routeSpec(route))"]
        case .deleteRoute(let route):
            return ["ip \(route.id.namespace.ipOption)\(familyOption(route.family))route del \(destination(route.id))\(route.id.table == Route.mainTable ? "" : " table \(route.id.table)")"]
        case .addNeighbour(let neighbour):
            return ["ip \(neighbour.id.link.namespace.ipOption)\(familyOption(neighbour.id.address.family))neigh add \(neighbour.id.address) lladdr \(neighbour.mac) dev \(neighbour.id.link.name) nud permanent"]
        case .replaceNeighbour(let neighbour):
            return ["ip \(neighbour.id.link.namespace.ipOption)\(familyOption(neighbour.id.address.family))neigh replace \(neighbour.id.address) lladdr \(neighbour.mac) dev \(neighbour.id.link.name) nud permanent"]
        case .deleteNeighbour(let neighbour):
            return ["ip \(neighbour.id.link.namespace.ipOption)\(familyOption(neighbour.id.address.family))neigh del \(neighbour.id.address) dev \(neighbour.id.link.name)"]
        case .addFDB(let entry):
            return ["bridge \(entry.link.namespace.ipOption)fdb append \(entry.mac) dev \(entry.link.name) dst \(entry.destination) self permanent"]
        case .deleteFDB(let entry):
            return ["bridge \(entry.link.namespace.ipOption)fdb del \(entry.mac) dev \(entry.link.name) dst \(entry.destination) self"]
        case .iptables(let change, let namespace, let family):
            return change.commands(in: namespace, family: family)
        case .ipvs(let change):
            return [IPVSCommandRenderer.command(for: change)]
        case .nftables(let change):
            guard case .named(let name) = change.table.namespace else { return change.commands }
            return change.commands.map { $0.hasPrefix("#") ? $0 : "ip netns exec \(name) \($0)" }
        case .setSysctl(let sysctl):
            switch sysctl.id.namespace {
            case .current: return ["sysctl -qw \(sysctl.id.key)=\(sysctl.value)"]
            case .named(let name): return ["ip netns exec \(name) sysctl -qw \(sysctl.id.key)=\(sysctl.value)"]
            }
        }
    }

    public static func commands(for plan: Plan) -> [String] { plan.operations.flatMap { commands(for: $0.operation) } }

    private static func addLink(_ link: Link, peer: Link?) -> [String] {
        var words = ["ip \(link.id.namespace.ipOption)link add \(link.id.name)"]
        if let mtu = link.mtu { words.append("mtu \(mtu)") }
        if let mac = link.mac { words.append("address \(mac)") }
        if let master = link.master { words.append("master \(master)") }
        words.append("type \(link.kind.kernelName)")
        switch link.kind {
        case .veth:
            if let peer {
                words.append("peer name \(peer.id.name)")
                if case .named(let name) = peer.id.namespace, peer.id.namespace != link.id.namespace { words.append("netns \(name)") }
                if let mtu = peer.mtu { words.append("mtu \(mtu)") }
            }
        case .vxlan(let vxlan):
            words.append("id \(vxlan.vni) dstport \(vxlan.port)")
            if let local = vxlan.local { words.append("local \(local)") }
            if let group = vxlan.group { words.append("group \(group)") }
            if let device = vxlan.device { words.append("dev \(device)") }
            words.append(vxlan.learning ? "learning" : "nolearning")
        case .ipip(let ipip):
            words.append("mode ipip")
            if let local = ipip.local { words.append("local \(local)") }
            if let device = ipip.device { words.append("dev \(device)") }
        case .sit(let sit):
            words.append("mode ip6ip")
            if let local = sit.local { words.append("local \(local)") }
            if let device = sit.device { words.append("dev \(device)") }
        default:
            break
        }
        var commands = [words.joined(separator: " ")]
        commands += configure(link)
        if let peer { commands += configure(peer) }
        return commands
    }

    /// What `ip link add` cannot say: up, alias, hairpin, alternative names.
    private static func configure(_ link: Link) -> [String] {
        let ip = "ip \(link.id.namespace.ipOption)link"
        var commands: [String] = []
        var set: [String] = []
        if link.up { set.append("up") }
        if let mark = link.mark { set.append("alias \(mark.alias)") }
        if !set.isEmpty { commands.append("\(ip) set \(link.id.name) \(set.joined(separator: " "))") }
        if link.hairpin == true { commands.append("\(ip) set \(link.id.name) type bridge_slave hairpin on") }
        for name in link.alternativeNames { commands.append("\(ip) property add dev \(link.id.name) altname \(name)") }
        return commands
    }

    private static func setLink(_ link: Link, current: Link?) -> [String] {
        let ip = "ip \(link.id.namespace.ipOption)link"
        var set: [String] = []
        if current?.up != link.up { set.append(link.up ? "up" : "down") }
        if let mtu = link.mtu, current?.mtu != mtu { set.append("mtu \(mtu)") }
        if let mac = link.mac, current?.mac != mac { set.append("address \(mac)") }
        if current?.master != link.master { set.append(link.master.map { "master \($0)" } ?? "nomaster") }
        if let mark = link.mark, current?.mark != mark { set.append("alias \(mark.alias)") }
        var commands = set.isEmpty ? [] : ["\(ip) set \(link.id.name) \(set.joined(separator: " "))"]
        if let hairpin = link.hairpin, current?.hairpin != hairpin {
            commands.append("\(ip) set \(link.id.name) type bridge_slave hairpin \(hairpin ? "on" : "off")")
        }
        for name in link.alternativeNames where !(current?.alternativeNames.contains(name) ?? false) {
            commands.append("\(ip) property add dev \(link.id.name) altname \(name)")
        }
        return commands
    }

    /// `-6` before an IPv6 object's command, as seed 003's readers would write it:
    /// iproute2 guesses the family from an address, but not from `default`, and
    /// `ip route del default` alone removes the IPv4 default route.
    private static func familyOption(_ family: AddressFamily) -> String {
        family == .ipv6 ? "-6 " : ""
    }

    private static func destination(_ id: Route.ID) -> String {
        id.destination.length == 0 ? "default" : id.destination.description
    }

    private static func routeSpec(_ route: Route) -> String {
        var words = [destination(route.id)]
        if let gateway = route.gateway { words.append("via \(gateway)") }
        if let device = route.device { words.append("dev \(device)") }
        if route.onlink { words.append("onlink") }
        if route.id.table != Route.mainTable { words.append("table \(route.id.table)") }
        if route.protocol != Route.protocolBoot { words.append("proto \(route.protocol == Route.protocolPodnet ? "podnet" : String(route.protocol))") }
        return words.joined(separator: " ")
    }
}
