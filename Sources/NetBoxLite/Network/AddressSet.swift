/// A set of addresses of one family as sorted, disjoint ranges: netaddr's `IPSet`, enough of
/// it for free space in a prefix.
struct AddressSet: Sendable {
    let family: IPFamily
    private(set) var ranges: [ClosedRange<UInt128>]

    /// Every address of `network`.
    init(_ network: IPNetwork) {
        family = network.family
        ranges = [network.first...network.last]
    }

    /// Removes every address of `range`.
    mutating func remove(_ range: ClosedRange<UInt128>) {
        var result: [ClosedRange<UInt128>] = []
        for existing in ranges {
            guard existing.overlaps(range) else {
                result.append(existing)
                continue
            }
            if existing.lowerBound < range.lowerBound {
                result.append(existing.lowerBound...(range.lowerBound - 1))
            }
            if existing.upperBound > range.upperBound {
                result.append((range.upperBound + 1)...existing.upperBound)
            }
        }
        ranges = result
    }

    /// Removes every address of `network`.
    mutating func remove(_ network: IPNetwork) {
        remove(network.first...network.last)
    }

    /// Removes one address.
    mutating func remove(address: UInt128) {
        remove(address...address)
    }

    /// The largest aligned blocks covering the set, in address order (netaddr's `iter_cidrs`).
    var cidrs: [IPNetwork] {
        var blocks: [IPNetwork] = []
        for range in ranges {
            var low = range.lowerBound
            while true {
                let block = largestBlock(startingAt: low, within: range.upperBound)
                blocks.append(block)
                guard block.last < range.upperBound else { break }
                low = block.last + 1
            }
        }
        return blocks
    }

    private func largestBlock(startingAt low: UInt128, within high: UInt128) -> IPNetwork {
        for length in 0...family.bits {
            let block = IPNetwork(family: family, address: low, prefixLength: length)
            if block.first == low && block.last <= high {
                return block
            }
        }
        return IPNetwork(family: family, address: low, prefixLength: family.bits)
    }

    /// The first `limit` addresses of the set, in order.
    func addresses(limit: Int) -> [UInt128] {
        var result: [UInt128] = []
        guard limit > 0 else { return result }
        for range in ranges {
            var address = range.lowerBound
            while true {
                result.append(address)
                if result.count == limit { return result }
                guard address < range.upperBound else { break }
                address += 1
            }
        }
        return result
    }

    /// Takes the first block of `length` bits from the first free block that can hold it,
    /// as NetBox allocates child prefixes (first fit in address order, not best fit).
    mutating func allocate(prefixLength length: Int) -> IPNetwork? {
        guard let block = cidrs.first(where: { $0.prefixLength <= length }) else { return nil }
        let allocated = IPNetwork(family: family, address: block.first, prefixLength: length)
        remove(allocated)
        return allocated
    }
}
