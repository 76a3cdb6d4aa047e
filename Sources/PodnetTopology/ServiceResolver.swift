import PodnetAddress
import PodnetYAML

/// Validates services, resolves their endpoints, allocates ClusterIPs and
/// nodePorts, and checks external IPs.
struct ServiceResolver {
    let log: DiagnosticLog
    let live: LiveAssignments

    /// A service that passed its own checks, before its addresses and ports are given.
    private struct Candidate {
        var spec: ServiceSpec
        var name: Located<String>
        var endpoints: [String]
        var selector: [String: String]?
        var ports: [ServicePort]
        /// Primary first; nil in a cluster without an IPv6 serviceCIDR.
        var families: [AddressFamily]?
    }

    /// - Parameters:
    ///   - nodePorts: nil when proxy.nodePortRange could not be read (reported);
    ///     NodePort services then get no ports, and no consequence is reported.
    ///   - externalIPs: checks external IPs against the nodes, clients and prefixes.
    ///   - serviceCIDRv6, servicePrimary: the IPv6 serviceCIDR, and which family serviceCIDR lists first.
    func resolve(_ specs: [ServiceSpec], serviceCIDR: Located<IPv4Prefix>?,
                 serviceCIDRv6: Located<IPv6Prefix>? = nil, servicePrimary: AddressFamily = .ipv4, serviceCIDRUnreadable: Bool,
                 pods: [ResolvedPod], declaredPods: Set<String>,
                 nodePorts: NodePortAllocator?, externalIPs: ExternalIPChecker) -> [Service] {
        guard !specs.isEmpty, !serviceCIDRUnreadable else { return [] }
        guard serviceCIDR != nil || serviceCIDRv6 != nil else {
            log.error(specs[0].mark, "services need a serviceCIDR to take their ClusterIPs from; add one at the top level, such as 'serviceCIDR: 10.96.0.0/12'")
            return []
        }
        let labels = LabelIndex(pods.map(\.pod.labels))
        var seen: [String: SourceMark] = [:]
        var valid: [Candidate] = []
        for spec in specs {
            guard let name = spec.name else { continue }
            var ok = true
            if let problem = Names.dnsLabelProblem(name.value) {
                log.error(name.mark, "service name '\(name.value)' \(problem)")
                ok = false
            }
            if let first = seen[name.value] {
                log.error(name.mark, "a service named '\(name.value)' is already defined at line \(first.line)")
                ok = false
            }
            seen[name.value] = seen[name.value] ?? name.mark
            guard spec.invalid.isEmpty else { continue }
            let endpoints = self.endpoints(spec, service: name.value, pods: pods, labels: labels, declaredPods: declaredPods)
            let ports = self.ports(spec, service: name.value)
            warnAboutIgnoredFields(spec, service: name.value)
            let families = self.families(spec, service: name.value, serviceCIDR: serviceCIDR, serviceCIDRv6: serviceCIDRv6, primary: servicePrimary)
            if ok, families.ok, let endpoints, let ports {
                valid.append(Candidate(spec: spec, name: name, endpoints: endpoints, selector: spec.selector?.value, ports: ports,
                                       families: families.families))
            }
        }
        // A service without a family (nil: IPv4 only, as it always was) has no address of it.
        let clusterIPs = serviceCIDR.map { cidr in
            allocateClusterIPs(valid.filter { $0.families?.contains(.ipv4) ?? true }.map(\.spec), serviceCIDR: cidr.value)
        } ?? [:]
        let clusterIPsV6 = allocateClusterIPv6(valid.map(\.spec), families: Dictionary(valid.map { ($0.name.value, $0.families ?? [.ipv4]) },
                                                                                     uniquingKeysWith: { first, _ in first }),
                                               serviceCIDR: serviceCIDRv6?.value)
        let externalOK = externalIPs.check(valid.map {
            ExternalIPChecker.Request(service: $0.name.value, externalIPs: $0.spec.externalIPs?.value ?? [], ports: $0.ports)
        })
        // Ports are in the order written: `ports(_:service:)` keeps every one or fails.
        let allocated = nodePorts?.allocate(valid.map { candidate in
            NodePortAllocator.Request(service: candidate.name, type: candidate.spec.type?.value ?? .clusterIP,
                                      ports: Array(zip(candidate.spec.ports!.value, candidate.ports)))
        }) ?? [:]
        return valid.compactMap { item in
            guard externalOK[item.name.value] == true else { return nil }
            if item.families?.contains(.ipv4) ?? true, clusterIPs[item.name.value] == nil { return nil }
            let wantsIPv6 = item.families?.contains(.ipv6) ?? false
            if wantsIPv6, clusterIPsV6[item.name.value] == nil { return nil }
            let type = item.spec.type?.value ?? .clusterIP
            var ports = item.ports
            if type == .nodePort {
                guard let given = allocated[item.name.value], given.allSatisfy({ $0 != nil }) else { return nil }
                for index in ports.indices { ports[index].nodePort = given[index] }
            }
            return Service(name: item.name.value, clusterIP: clusterIPs[item.name.value], selector: item.selector, endpoints: item.endpoints, ports: ports,
                           type: type, externalIPs: item.spec.externalIPs?.value.map(\.value) ?? [],
                           externalTrafficPolicy: item.spec.externalTrafficPolicy?.value ?? .cluster,
                           internalTrafficPolicy: item.spec.internalTrafficPolicy?.value ?? .cluster,
                           sessionAffinity: sessionAffinity(item.spec), namespace: item.spec.namespace?.value ?? Namespace.defaultName,
                           clusterIPv6: clusterIPsV6[item.name.value], ipFamilies: item.families)
        }
    }

    private func sessionAffinity(_ spec: ServiceSpec) -> SessionAffinity {
        guard spec.sessionAffinity?.value == .clientIP else { return .none }
        return .clientIP(timeoutSeconds: spec.sessionAffinityTimeoutSeconds?.value ?? SessionAffinity.defaultTimeoutSeconds)
    }

    /// Fields Kubernetes accepts but that change nothing where they are written.
    private func warnAboutIgnoredFields(_ spec: ServiceSpec, service: String) {
        if let policy = spec.externalTrafficPolicy, (spec.type?.value ?? .clusterIP) == .clusterIP, spec.externalIPs?.value.isEmpty ?? true {
            log.warning(policy.mark, "externalTrafficPolicy is ignored: service '\(service)' is of type ClusterIP without externalIPs, so no traffic reaches it from outside; set 'type: NodePort', add externalIPs, or remove it")
        }
        if let timeout = spec.sessionAffinityTimeoutSeconds, spec.sessionAffinity?.value != .clientIP {
            log.warning(timeout.mark, "sessionAffinityTimeoutSeconds is ignored: service '\(service)' has sessionAffinity None; set 'sessionAffinity: ClientIP' to keep each client on one endpoint, or remove it")
        }
    }

    private func endpoints(_ spec: ServiceSpec, service: String, pods: [ResolvedPod], labels: LabelIndex, declaredPods: Set<String>) -> [String]? {
        switch (spec.selector, spec.endpoints) {
        case (.some, .some(let endpoints)):
            log.error(endpoints.mark, "service '\(service)' has both a selector and endpoints; give one of the two")
            return nil
        case (nil, nil):
            log.error(spec.mark, "service '\(service)' needs a selector (labels of its pods) or a list of endpoints (pod names)")
            return nil
        case (.some(let selector), nil):
            guard !selector.value.isEmpty else {
                log.error(selector.mark, "service '\(service)' has an empty selector; give at least one label, or list endpoints")
                return nil
            }
            // A selector chooses pods of the service's own namespace, as in Kubernetes.
            let namespace = spec.namespace?.value ?? Namespace.defaultName
            let matched = labels.matches(selector.value).filter { pods[$0].pod.namespace == namespace }.map { pods[$0].pod.name }
            if matched.isEmpty {
                let wanted = selector.value.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                log.warning(selector.mark, "the selector of service '\(service)' (\(wanted)) matches no pod; connections to it will be rejected")
            }
            return matched
        case (nil, .some(let endpoints)):
            let known = Set(pods.map(\.pod.name))
            var result: [String] = []
            var listed: Set<String> = []
            var ok = true
            for endpoint in endpoints.value {
                if !known.contains(endpoint.value) {
                    if !declaredPods.contains(endpoint.value) {
                        log.error(endpoint.mark, "service '\(service)' lists an unknown pod '\(endpoint.value)'\(Spelling.hint(for: endpoint.value, among: declaredPods.sorted()))")
                    }
                    ok = false
                } else if !listed.insert(endpoint.value).inserted {
                    log.error(endpoint.mark, "service '\(service)' lists the pod '\(endpoint.value)' twice")
                    ok = false
                } else {
                    result.append(endpoint.value)
                }
            }
            if ok, result.isEmpty {
                log.warning(endpoints.mark, "service '\(service)' has no endpoints; connections to it will be rejected")
            }
            return ok ? result : nil
        }
    }

    private func ports(_ spec: ServiceSpec, service: String) -> [ServicePort]? {
        guard let ports = spec.ports else { return nil }
        guard !ports.value.isEmpty else {
            log.error(ports.mark, "service '\(service)' needs at least one port")
            return nil
        }
        var result: [ServicePort] = []
        var seen: [String: Int] = [:]
        var ok = true
        for item in ports.value {
            guard let port = item.port else { ok = false; continue }
            let servicePort = ServicePort(port: port.value, targetPort: item.targetPort?.value, protocol: item.protocol?.value ?? .tcp)
            let key = "\(servicePort.port)/\(servicePort.protocol.rawValue)"
            if let line = seen[key] {
                log.error(port.mark, "service '\(service)' has port \(key) twice (first at line \(line))")
                ok = false
                continue
            }
            seen[key] = port.mark.line
            result.append(servicePort)
        }
        return ok ? result : nil
    }

    private func allocateClusterIPs(_ specs: [ServiceSpec], serviceCIDR: IPv4Prefix) -> [String: IPv4Address] {
        var pool = AddressPool(prefix: serviceCIDR)
        var result: [String: IPv4Address] = [:]
        var owners: [IPv4Address: Located<String>] = [:]
        for spec in specs {
            guard let ip = spec.clusterIP, let name = spec.name else { continue }
            if !serviceCIDR.contains(ip.value) {
                log.error(ip.mark, "service '\(name.value)' clusterIP \(ip.value) is outside serviceCIDR \(serviceCIDR)")
            } else if !pool.isHost(ip.value) {
                log.error(ip.mark, "service '\(name.value)' clusterIP \(ip.value) is the \(ip.value == serviceCIDR.first ? "network" : "broadcast") address of serviceCIDR \(serviceCIDR)")
            } else if let owner = owners[ip.value] {
                log.error(ip.mark, "clusterIP \(ip.value) is already the address of service '\(owner.value)' (line \(owner.mark.line))")
            } else {
                owners[ip.value] = name
                pool.reserve(ip.value)
                result[name.value] = ip.value
            }
        }
        var pending: [ServiceSpec] = []
        for spec in specs where spec.clusterIP == nil {
            let name = spec.name!.value
            if let ip = live.clusterIPs[name], pool.isHost(ip), !pool.isTaken(ip) {
                pool.reserve(ip)
                result[name] = ip
            } else {
                pending.append(spec)
            }
        }
        for spec in pending {
            guard let ip = pool.next() else {
                log.error(spec.mark, "no free address left in serviceCIDR \(serviceCIDR) for service '\(spec.name!.value)'")
                continue
            }
            result[spec.name!.value] = ip
        }
        return result
    }
}
