import Glibc

/// Ends the process as soon as a command's work and output are done. Returning
/// instead would first free the desired and live states, the plan and the file,
/// tens of thousands of objects for a big cluster, about a millisecond of a no-op
/// apply spent on memory the kernel takes back at once anyway. Nothing podnet holds
/// needs a goodbye: the cluster lock is an flock, released when the process ends.
enum QuickExit {
    static func now(_ status: Int32 = 0) -> Never {
        fflush(nil)   // every stdio stream: what print wrote may still be buffered
        exit(status)
    }
}
