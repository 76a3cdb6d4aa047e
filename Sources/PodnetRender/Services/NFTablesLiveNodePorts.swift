import PodnetKernelModel
import PodnetTopology

/// The NodePorts a live cluster uses in proxy mode nftables, for sticky allocation:
/// each element of a node's `service-nodeports` map goes to the external chain of one
/// service port, whose name says which (`external-HASH-web/tcp/80`); a table rebuilt
/// from its record is not read, and the record's lines say the same (`80:8080/tcp@30080`).
/// A NodePort of a service without endpoints is neither (its element goes to the
/// reject chain): it is allocated again, from the file alone.
public enum NFTablesLiveNodePorts {
    public static func nodePorts(in live: KernelState, cluster: String) -> [String: Int] {
        var nodePorts: [String: Int] = [:]
        let table = NFTablesProxyNames.table(cluster: cluster)
        for (id, nft) in live.nftTables where id.name == table {
            for element in nft.sets[NFTablesProxyNames.serviceNodePorts]?.elements ?? [] {
                guard element.key.count == 2, case .inetService(let nodePort) = element.key[1],
                      case .verdict(.goto(let chain))? = element.data,
                      let (service, proto, port) = NFTablesProxyNames.servicePort(ofExternalChain: chain),
                      let transport = ServicePort.TransportProtocol(rawValue: proto.uppercased()) else { continue }
                nodePorts[LiveAssignments.nodePortKey(service: service, port: port, protocol: transport)] = Int(nodePort)
            }
        }
        for (id, record) in live.nftRecords where id.name == table {
            for (service, line) in record.services {
                guard let inputs = NFTablesProxyRenderer.inputs(ofLine: line, service: service), !inputs.endpoints.isEmpty else { continue }
                for port in inputs.ports {
                    guard let nodePort = port.nodePort else { continue }
                    nodePorts[LiveAssignments.nodePortKey(service: service, port: port.port, protocol: port.protocol)] = nodePort
                }
            }
        }
        return nodePorts
    }
}
