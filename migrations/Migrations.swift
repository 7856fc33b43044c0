import Foundation

/// The numbered SQL files shipped with the program, by dialect.
public enum MigrationFiles {
    /// The folder holding one dialect's files (`sqlite` or `postgres`).
    public static func directory(for dialect: String) -> URL? {
        Bundle.module.url(forResource: dialect, withExtension: nil)
    }
}
