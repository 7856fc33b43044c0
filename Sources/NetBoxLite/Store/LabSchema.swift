import GRDB

/// The tables of NetBoxLite's state, one per NetBox object kind, with NetBox's field names.
/// Migrations are forward-only and each runs in its own transaction; a released one is
/// never edited (add a new one instead).
enum LabSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001_netboxlite_inventory") { db in
            try db.execute(sql: initialSchema)
        }
        return migrator
    }

    // AUTOINCREMENT: ids are never reused after a delete, as with PostgreSQL sequences.
    private static let initialSchema = """
        CREATE TABLE sites (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            slug TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            created TEXT NOT NULL,
            last_updated TEXT NOT NULL
        );
        CREATE TABLE manufacturers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            slug TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            last_updated TEXT NOT NULL
        );
        CREATE TABLE device_types (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            manufacturer_id INTEGER NOT NULL REFERENCES manufacturers(id),
            model TEXT NOT NULL,
            slug TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            last_updated TEXT NOT NULL
        );
        CREATE TABLE interface_templates (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            device_type_id INTEGER NOT NULL REFERENCES device_types(id),
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            mgmt_only BOOLEAN NOT NULL,
            description TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE device_roles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            slug TEXT NOT NULL UNIQUE,
            color TEXT NOT NULL,
            created TEXT NOT NULL,
            last_updated TEXT NOT NULL
        );
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT,
            device_type_id INTEGER NOT NULL REFERENCES device_types(id),
            role_id INTEGER NOT NULL REFERENCES device_roles(id),
            site_id INTEGER NOT NULL REFERENCES sites(id),
            status TEXT NOT NULL,
            serial TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            comments TEXT NOT NULL DEFAULT '',
            primary_ip4_id INTEGER,
            primary_ip6_id INTEGER,
            created TEXT NOT NULL,
            last_updated TEXT NOT NULL
        );
        CREATE TABLE interfaces (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            device_id INTEGER NOT NULL REFERENCES devices(id),
            name TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            type TEXT NOT NULL,
            enabled BOOLEAN NOT NULL,
            mgmt_only BOOLEAN NOT NULL,
            mtu INTEGER,
            description TEXT NOT NULL DEFAULT '',
            mark_connected BOOLEAN NOT NULL DEFAULT 0,
            cable_id INTEGER,
            cable_end TEXT,
            created TEXT NOT NULL,
            last_updated TEXT NOT NULL,
            UNIQUE (device_id, name)
        );
        CREATE TABLE cables (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            type TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            color TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            comments TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            last_updated TEXT NOT NULL
        );
        CREATE TABLE cable_terminations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            cable_id INTEGER NOT NULL REFERENCES cables(id) ON DELETE CASCADE,
            cable_end TEXT NOT NULL CHECK (cable_end IN ('A', 'B')),
            termination_type TEXT NOT NULL,
            termination_id INTEGER NOT NULL,
            UNIQUE (termination_type, termination_id)
        );
        CREATE TABLE prefixes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            prefix TEXT NOT NULL,
            status TEXT NOT NULL,
            is_pool BOOLEAN NOT NULL DEFAULT 0,
            mark_utilized BOOLEAN NOT NULL DEFAULT 0,
            description TEXT NOT NULL DEFAULT '',
            comments TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            last_updated TEXT NOT NULL
        );
        CREATE TABLE ip_addresses (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            address TEXT NOT NULL,
            status TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT '',
            assigned_object_type TEXT,
            assigned_object_id INTEGER,
            dns_name TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            comments TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            last_updated TEXT NOT NULL
        );
        CREATE TABLE lab_metadata (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
}
