import GRDB

/// Addresses and prefixes are stored as their text (`10.0.0.1/31`); a row whose text does not
/// parse fails to decode instead of turning into some other address.
extension IPNetwork: DatabaseValueConvertible {
    var databaseValue: DatabaseValue { description.databaseValue }

    static func fromDatabaseValue(_ dbValue: DatabaseValue) -> IPNetwork? {
        String.fromDatabaseValue(dbValue).flatMap(IPNetwork.init)
    }
}

extension IPNetwork: Codable {
    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let network = IPNetwork(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an IP network: \(text)"))
        }
        self = network
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
