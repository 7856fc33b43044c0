/// NetBox's natural ordering keys (`utilities.ordering`): names are compared by a key in
/// which numbers are zero-padded, compared byte by byte (PostgreSQL's "C" collation).
enum NaturalOrder {
    /// The key of a plain name: every run of digits padded to eight places.
    static func key(_ value: String, maxLength: Int = 100) -> String {
        var output = ""
        var digits = ""
        for character in value {
            if character.isASCII && character.isNumber {
                digits.append(character)
            } else {
                output += padded(digits, to: 8)
                digits = ""
                output.append(character)
            }
        }
        output += padded(digits, to: 8)
        return String(output.prefix(maxLength))
    }

    /// The key of an interface name: slot/subslot/position/subposition first (four digits
    /// each, 9999 when absent), then the type text, then id, channel and VC (six digits each,
    /// dots when absent), then whatever remains, naturalised.
    static func interfaceKey(_ value: String, maxLength: Int = 100) -> String {
        var rest = Substring(value)
        let type = rest.prefix { !($0.isASCII && $0.isNumber) && $0 != "." && $0 != ":" }
        rest = rest.dropFirst(type.count)

        // Up to four "<digits>/" groups: slot, subslot, position, subposition.
        var slots: [Substring] = []
        while slots.count < 4, let number = leadingDigits(rest), rest.dropFirst(number.count).first == "/" {
            slots.append(number)
            rest = rest.dropFirst(number.count + 1)
        }
        let id = leadingDigits(rest)
        rest = rest.dropFirst(id?.count ?? 0)
        let channel = delimitedDigits(&rest, after: ":")
        let virtualCircuit = delimitedDigits(&rest, after: ".")

        var output = ""
        for index in 0..<4 {
            output += index < slots.count ? padded(String(slots[index]), to: 4) : "9999"
        }
        output += type
        for part in [id, channel, virtualCircuit] {
            output += part.map { padded(String($0), to: 6) } ?? "......"
        }
        if !rest.isEmpty && output.count < maxLength {
            output += key(String(rest), maxLength: maxLength - output.count)
        }
        return String(output.prefix(maxLength))
    }

    /// Orders two keys as PostgreSQL's "C" collation does: by bytes.
    static func isOrdered(_ lhs: String, before rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    private static func padded(_ digits: String, to width: Int) -> String {
        digits.isEmpty ? "" : String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func leadingDigits(_ text: Substring) -> Substring? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        return digits.isEmpty ? nil : digits
    }

    private static func delimitedDigits(_ rest: inout Substring, after delimiter: Character) -> Substring? {
        guard rest.first == delimiter, let digits = leadingDigits(rest.dropFirst()) else { return nil }
        rest = rest.dropFirst(digits.count + 1)
        return digits
    }
}
