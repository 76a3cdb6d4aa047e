/// TOPOLOGY.md's complete example (seed 003 §5): three nodes, pods a0 and b behind
/// service kube-svc-1 (10.96.0.2:8080), a1 beside a0, c alone on node-2. The
/// proxy renderers' tests share it; `settings` gives the `network:`, `proxy:` and
/// `underlay:` lines each of them needs.
enum ServicesExample {
    static func text(_ settings: String) -> String {
        """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        \(settings)
        nodes:
          - { name: node-0, address: 192.168.64.4, podCIDR: 10.200.0.0/24, bridge: br0 }
          - { name: node-1, address: 192.168.64.5, podCIDR: 10.200.1.0/24, bridge: br1 }
          - { name: node-2, address: 192.168.64.6, podCIDR: 10.200.2.0/24, bridge: br2 }
        pods:
          - { name: a0, node: node-0, ip: 10.200.0.2, labels: { app: web } }
          - { name: a1, node: node-0, ip: 10.200.0.3 }
          - { name: b,  node: node-1, ip: 10.200.1.2, labels: { app: web } }
          - { name: c,  node: node-2, ip: 10.200.2.2 }
        services:
          - name: kube-svc-1
            clusterIP: 10.96.0.2
            selector: { app: web }
            ports:
              - { port: 8080, targetPort: 8080, protocol: TCP }
        """
    }
}
