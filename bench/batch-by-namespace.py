#!/usr/bin/env python3
"""Turns `podnet diff --output commands` into the fewest iproute2 processes that keep
its order: runs of consecutive `ip -n NS ...` commands for one namespace become one
`ip -n NS -batch -`; `ip netns add` lines one `ip -batch -`; the rest stay as they are.
Reads the commands on stdin, writes a shell script on stdout."""
import shlex, sys

def key(line):
    words = line.split()
    if words[:3] == ["ip", "netns", "add"]:
        return ("netns", None)
    if len(words) > 3 and words[0] == "ip" and words[1] == "-n":
        return ("ns", words[2])
    return (None, line)

groups = []
for line in (l.strip() for l in sys.stdin if l.strip()):
    k = key(line)
    if groups and k[0] is not None and groups[-1][0] == k:
        groups[-1][1].append(line)
    else:
        groups.append((k, [line]))

out = ["set -e"]
for (kind, ns), lines in groups:
    if kind == "netns":
        body = "\n".join(" ".join(l.split()[1:]) for l in lines)
        out.append(f"ip -batch - <<'EOF'\n{body}\nEOF")
    elif kind == "ns":
        body = "\n".join(" ".join(l.split()[3:]) for l in lines)
        out.append(f"ip -n {shlex.quote(ns)} -batch - <<'EOF'\n{body}\nEOF")
    else:
        out.extend(lines)
print("\n".join(out))
