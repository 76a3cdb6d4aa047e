import PodnetAddress

func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }
