import PodnetYAML

/// Validates `namespaces[]` and puts pods and services in them: a pod's or a
/// service's namespace must exist (Kubernetes refuses one in a namespace that does
/// not), and a pod's named ports must be distinct.
struct NamespaceResolver {
    let log: DiagnosticLog

    /// The declared namespaces in order, and `default` after them unless declared.
    func resolve(_ specs: [NamespaceSpec]) -> [Namespace] {
        var seen: [String: SourceMark] = [:]
        var namespaces: [Namespace] = []
        for spec in specs {
            guard let name = spec.name else { continue }
            if let problem = Names.dnsLabelProblem(name.value) {
                log.error(name.mark, "namespace name '\(name.value)' \(problem)")
                continue
            }
            if let first = seen[name.value] {
                log.error(name.mark, "a namespace named '\(name.value)' is already declared at line \(first.line)")
                continue
            }
            seen[name.value] = name.mark
            let labels = spec.labels?.value ?? [:]
            if let given = labels[Namespace.nameLabel], given != name.value, let mark = spec.labels?.mark {
                log.error(mark, "the label \(Namespace.nameLabel) of namespace '\(name.value)' is '\(given)'; Kubernetes sets it to the namespace's name: remove it")
                continue
            }
            namespaces.append(Namespace(name: name.value, labels: labels))
        }
        if seen[Namespace.defaultName] == nil { namespaces.append(Namespace(name: Namespace.defaultName)) }
        return namespaces
    }

    /// The pods with their namespace and named ports.
    func place(_ pods: [ResolvedPod], in namespaces: [Namespace], declared: Set<String>) -> [ResolvedPod] {
        pods.map { resolved in
            var resolved = resolved
            let pod = resolved.pod.name
            if let namespace = resolved.spec.namespace {
                check(namespace, of: "pod '\(pod)'", among: namespaces, declared: declared)
                resolved.pod.namespace = namespace.value
            }
            resolved.pod.ports = ports(resolved.spec.ports?.value ?? [], pod: pod)
            return resolved
        }
    }

    /// The services, each one in a namespace that does not exist reported and
    /// marked unreadable, so that its selector is not also said to match nothing.
    func checkServices(_ specs: [ServiceSpec], in namespaces: [Namespace], declared: Set<String>) -> [ServiceSpec] {
        specs.map { spec in
            guard let namespace = spec.namespace, let name = spec.name,
                  check(namespace, of: "service '\(name.value)'", among: namespaces, declared: declared) else { return spec }
            var marked = spec
            marked.invalid.insert("namespace")
            return marked
        }
    }

    /// Whether `namespace` is unknown (and so reported).
    @discardableResult
    private func check(_ namespace: Located<String>, of owner: String, among namespaces: [Namespace], declared: Set<String>) -> Bool {
        let known = namespaces.map(\.name)
        // A declared namespace that failed its own checks was reported there.
        guard !known.contains(namespace.value), !declared.contains(namespace.value) else { return false }
        let fix = Spelling.suggestion(for: namespace.value, among: known).map { "did you mean '\($0)'?" } ?? "declare it under namespaces[]"
        log.error(namespace.mark, "\(owner) is in an unknown namespace '\(namespace.value)'; \(fix)")
        return true
    }

    private func ports(_ specs: [PodPortSpec], pod: String) -> [PodPort] {
        var seen: [String: SourceMark] = [:]
        var ports: [PodPort] = []
        for spec in specs {
            guard let name = spec.name, let port = spec.port else { continue }
            if let problem = Names.portNameProblem(name.value) {
                log.error(name.mark, "port name '\(name.value)' of pod '\(pod)' \(problem)")
                continue
            }
            if let first = seen[name.value] {
                log.error(name.mark, "pod '\(pod)' has a port named '\(name.value)' already (line \(first.line)); port names are unique within a pod")
                continue
            }
            seen[name.value] = name.mark
            ports.append(PodPort(name: name.value, port: port.value, protocol: spec.protocol?.value ?? .tcp))
        }
        return ports
    }
}
