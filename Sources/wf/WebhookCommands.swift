import ArgumentParser
import Foundation
import Persistence
import WorkflowEngine

/// `wf webhook secret`: the secret NetBox signs its webhook deliveries with.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Set up the NetBox webhook receiver (POST /api/webhooks/netbox on wf serve).",
        discussion: """
            In NetBox, make a Webhook with the URL http(s)://<wf serve>/api/webhooks/netbox, method POST, content type \
            application/json, and this secret; and an Event Rule for dcim.device, dcim.interface, dcim.cable, ipam.prefix and \
            ipam.ipaddress, on create, update and delete, whose action is that webhook. See the README.
            """,
        subcommands: [Secret.self])

    struct Secret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show, set, make or clear the shared secret of NetBox's webhook deliveries.",
            discussion: "Without an option it says whether a secret is set. Deliveries are refused (403) while none is.")

        @Flag(name: .long, help: "Make a new random secret, store it and print it.") var generate = false
        @Option(name: .long, help: "Store this secret (at least 16 characters), as entered in NetBox.") var set: String?
        @Flag(name: .long, help: "Print the stored secret.") var show = false
        @Flag(name: .long, help: "Remove the secret: every delivery is refused until one is set again.") var clear = false
        @OptionGroup var actor: ActorOptions
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard [generate, set != nil, show, clear].filter({ $0 }).count <= 1 else {
                throw ValidationError("give one of --generate, --set, --show and --clear")
            }
            if let set, set.count < 16 || set.contains(where: { $0.isWhitespace || $0.isNewline }) {
                throw ValidationError("--set needs at least 16 characters and no spaces")
            }
        }

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let store = runtime.store
                let name = NetBoxWebhook.secretSetting
                if generate || set != nil {
                    let secret = set ?? TokenSecret.generate(prefix: "wfn_")
                    try await store.setSetting(name, value: secret, user: actor.resolvedUser, now: Date())
                    print(set == nil ? "secret: \(secret)" : "stored the secret")
                    print("Enter it as the Secret of the NetBox webhook whose URL ends in \(NetBoxWebhook.path).")
                } else if clear {
                    try await store.setSetting(name, value: nil, user: actor.resolvedUser, now: Date())
                    print("cleared the secret: NetBox's deliveries are refused until one is set")
                } else if show {
                    guard let secret = try await store.setting(name) else { throw CLIError("no secret is set; make one with --generate") }
                    print(secret)
                } else {
                    let set = try await store.setting(name) != nil
                    print(set ? "a secret is set (print it with --show)" : "no secret is set; make one with `wf webhook secret --generate`")
                }
                return 0
            }
        }
    }
}
