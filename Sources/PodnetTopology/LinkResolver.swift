import PodnetYAML

/// Validates `links`: direct veth pairs between two pods of one `bridge: none`
/// node (seed 003 §3.1). Each pod has one interface, `eth0`, so a pod is in at
/// most one link.
struct LinkResolver {
    let log: DiagnosticLog

    func resolve(_ specs: [LinkSpec], pods: [ResolvedPod], declaredPods: Set<String>, nodes: [ResolvedNode]) -> [Link] {
        let podsByName = Dictionary(pods.map { ($0.pod.name, $0.pod) }, uniquingKeysWith: { first, _ in first })
        let nodesByName = Dictionary(nodes.map { ($0.node.name, $0.node) }, uniquingKeysWith: { first, _ in first })
        var linked: [String: Int] = [:]   // pod name → line of its link
        var links: [Link] = []
        for spec in specs {
            guard let names = spec.pods else { continue }
            guard names.count == 2 else {
                log.error(spec.mark, "a link joins exactly two pods; this one lists \(names.count)")
                continue
            }
            var ok = true
            var members: [Pod] = []
            for name in names {
                guard let pod = podsByName[name.value] else {
                    ok = false
                    // A pod that failed its own checks was reported already.
                    guard !declaredPods.contains(name.value) else { continue }
                    log.error(name.mark, "link to an unknown pod '\(name.value)'\(Spelling.hint(for: name.value, among: declaredPods.sorted()))")
                    continue
                }
                if let line = linked[name.value] {
                    log.error(name.mark, "pod '\(name.value)' is already in the link at line \(line); a pod has one interface, eth0, so it can be in one link only")
                    ok = false
                }
                members.append(pod)
            }
            guard ok, members.count == 2 else { continue }
            let (a, b) = (members[0], members[1])
            if a.name == b.name {
                log.error(names[1].mark, "a link joins two different pods; this one joins '\(a.name)' to itself")
                continue
            }
            if a.node != b.node {
                log.error(names[1].mark, "a link joins pods of one node, but '\(a.name)' is on '\(a.node)' and '\(b.name)' on '\(b.node)'; pods on different nodes reach each other through the network backend")
                continue
            }
            if let bridge = nodesByName[a.node]?.bridge {
                log.error(spec.mark, "links are for nodes with 'bridge: none', but node '\(a.node)' has the bridge '\(bridge)', which already joins its pods; remove the link or set 'bridge: none'")
                continue
            }
            linked[a.name] = spec.mark.line
            linked[b.name] = spec.mark.line
            links.append(Link(pods: [a.name, b.name]))
        }
        let named = Set(specs.flatMap { $0.pods ?? [] }.map(\.value))
        for pod in pods where !named.contains(pod.pod.name) && nodesByName[pod.pod.node]?.bridge == nil {
            log.warning(pod.spec.mark, "pod '\(pod.pod.name)' is on node '\(pod.pod.node)', which has no bridge, and is in no link: it will reach nothing but itself")
        }
        return links
    }
}
