import Foundation
import WorkflowEngine

/// Times as SQLite stores them here: UTC text `YYYY-MM-DD HH:MM:SS.SSS`, which sorts as
/// time does and is the format GRDB reads back into `Date` (see `UTCTimeText`).
enum SQLiteTime {
    static func text(_ date: Date) -> String {
        UTCTimeText.text(date, separator: " ", zone: "")
    }

    static func text(_ date: Date?) -> String? {
        date.map { text($0) }
    }
}
