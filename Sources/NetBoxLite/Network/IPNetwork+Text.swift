extension IPNetwork {
    /// Strict dotted quad: four decimal parts of 0...255, no leading zeros beyond a single 0.
    static func parseIPv4(_ text: String) -> UInt128? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt128 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0", let byte = UInt8(part)
            else { return nil }
            value = value << 8 | UInt128(byte)
        }
        return value
    }

    /// RFC 4291 text: eight groups of up to four hex digits, one `::` for a run of zero
    /// groups, and optionally a trailing dotted quad.
    static func parseIPv6(_ text: String) -> UInt128? {
        guard text.contains(":"), text.allSatisfy(\.isASCII) else { return nil }
        var head = text
        var tailGroups: [UInt16] = []
        // A trailing IPv4 address stands for the last two groups.
        if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
            guard let v4 = parseIPv4(String(text[text.index(after: lastColon)...])) else { return nil }
            tailGroups = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
            head = String(text[...lastColon])
            if head.hasSuffix("::") {
                // keep "::" intact
            } else {
                head.removeLast()
            }
        }
        let halves = head.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit), let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let left = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let right = groups(halves[1]) else { return nil }
            let missing = 8 - left.count - right.count - tailGroups.count
            guard missing >= 1 else { return nil }
            all = left + Array(repeating: 0, count: missing) + right + tailGroups
        } else {
            all = left + tailGroups
        }
        guard all.count == 8 else { return nil }
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    /// Text of an address: dotted quad, or RFC 5952 for IPv6 (lowercase, the longest run of
    /// two or more zero groups, the first of equal runs, written `::`).
    static func format(_ address: UInt128, family: IPFamily) -> String {
        if family == .v4 {
            return (0..<4).map { String((address >> (8 * (3 - $0))) & 0xFF) }.joined(separator: ".")
        }
        let groups = (0..<8).map { Int((address >> (16 * (7 - $0))) & 0xFFFF) }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > bestLength {
                    (bestStart, bestLength) = (index, end - index)
                }
                index = end
            } else {
                index += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        let left = hex[..<bestStart].joined(separator: ":")
        let right = hex[(bestStart + bestLength)...].joined(separator: ":")
        return left + "::" + right
    }
}
