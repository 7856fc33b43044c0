import Foundation
import Testing
import WorkflowTestKit

@testable import Persistence

/// Cutting a migration file into statements where PostgreSQL ends them.
@Suite("SQL scripts", .storeSlots)
struct SQLScriptTests {
    @Test func statementsEndAtSemicolonsOutsideQuotesAndComments() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE t (a text DEFAULT 'x;y', "odd;name" int); /* block; comment /* nested; */ still */
            INSERT INTO t (a) VALUES ('it''s; fine');
            SELECT $1::int;
            """
        #expect(
            SQLScript.statements(script) == [
                "-- a comment; with a semicolon\nCREATE TABLE t (a text DEFAULT 'x;y', \"odd;name\" int)",
                "/* block; comment /* nested; */ still */\nINSERT INTO t (a) VALUES ('it''s; fine')",
                "SELECT $1::int",
            ])
    }

    @Test func aDollarQuotedFunctionBodyStaysWhole() {
        let body = """
            CREATE FUNCTION touch() RETURNS trigger AS $body$
            BEGIN
                NEW.at := now();
                RETURN NEW;
            END;
            $body$ LANGUAGE plpgsql;
            DO $$ BEGIN PERFORM 1; END $$;
            """
        let statements = SQLScript.statements(body)
        #expect(statements.count == 2)
        #expect(statements.first?.hasSuffix("$body$ LANGUAGE plpgsql") == true)
        #expect(statements.last == "DO $$ BEGIN PERFORM 1; END $$")
    }

    @Test func commentsAndBlankLinesAloneAreNoStatement() {
        #expect(SQLScript.statements("-- only\n\n/* this */\n;\n") == [])
        #expect(SQLScript.statements("SELECT 1") == ["SELECT 1"])
    }

    @Test(.enabled(if: StoreKind.postgresURL != nil, "WF_TEST_POSTGRES_URL is not set: PostgreSQL is not available"))
    func postgreSQLRunsAFileWithAFunctionBody() async throws {
        try await withScratchStore { store in
            try await store.migrate()  // creates the test's schema
            try await store.transaction { tx in
                try await tx.simple(
                    """
                    CREATE TABLE stamped (id int PRIMARY KEY, note text NOT NULL DEFAULT 'a;b');
                    CREATE FUNCTION stamp() RETURNS int AS $$
                    BEGIN
                        INSERT INTO stamped (id) VALUES (1);
                        RETURN 1;
                    END;
                    $$ LANGUAGE plpgsql;
                    SELECT stamp();
                    """)
            }
            #expect(try await store.plainTexts("SELECT note FROM stamped") == ["a;b"])
        }
    }
}
