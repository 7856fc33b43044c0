import Foundation

/// `/api/status/`: what NetBox reports about itself. NetBoxLite speaks NetBox 4.7.3's API, so
/// it reports that version and the stack it was recorded on; the hostname is this machine's.
struct StatusEndpoint: Sendable {
    var endpoint: Endpoint {
        Endpoint("/api/status/", allow: Endpoint.Allow.readOnly, ["GET": .read(status)])
    }

    func status(_: Lab, _: APIRequest) throws -> APIResponse {
        .ok([
            "django-version": "6.1.2",
            "hostname": .string(ProcessInfo.processInfo.hostName),
            "installed_apps": [
                "django_filters": "26.2",
                "django_prometheus": "2.4.0",
                "django_rq": "4.2.0",
                "django_tables2": "3.0.1",
                "drf_spectacular": "0.30.0",
                "drf_spectacular_sidecar": "2026.10.1",
                "mptt": "0.18.0",
                "rest_framework": "3.18.0",
                "social_django": "6.1.0",
                "taggit": "6.1.0",
                "timezone_field": "7.2.2",
            ],
            "netbox-version": .string(NetBoxAPI.netBoxVersion),
            "netbox-full-version": .string(NetBoxAPI.netBoxVersion),
            "plugins": .emptyObject,
            "python-version": "3.12.1",
            "rq-workers-running": 0,
        ])
    }
}
