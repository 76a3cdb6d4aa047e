import ArgumentParser
import Glibc

/// How a command prints its result: for people, or for machines.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text
    case json
}
