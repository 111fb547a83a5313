"""The catalogue of planted faults and valid variants of the reference simulator.

A *fault* is a bug planted on purpose: it breaks exactly the rule it names, and the
project's tests assert that the suite reports that rule failed (or warned, for a SHOULD rule).
A *variant* is a behaviour the rules (docs/rules.md) allow but the simulator does not use by default: the tests
assert that the suite still finds the target conformant (no false alarms).

The simulator reads a ``Profile`` (a set of switched-on names); the model and the HTTP adapter ask
``profile.fault("…")`` / ``profile.variant("…")`` at the one place each behaviour is decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.spec.rules import RULES, Level

__all__ = ["FAULTS", "VARIANTS", "Fault", "Profile", "ProfileError", "Variant"]


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    #: The rule the suite must report as failed (warned, when the rule is a SHOULD or ``should_part``).
    rule: str
    description: str
    #: It breaks only the SHOULD part of a MUST rule (WIRE-04's unknown body fields): reported warned.
    should_part: bool = False
    #: Rules whose checks reach the faulty answers, when the rule's own checks never do: a fault of
    #: a rule judged on every answer (WIRE-01) that only, say, lifecycle checks provoke.
    seen_by: tuple[str, ...] = ()

    @property
    def expected_outcome(self) -> str:
        """What the report must say about ``rule`` with this fault switched on."""
        return "warned" if self.should_part or RULES[self.rule].level is Level.SHOULD else "failed"


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    #: The rules whose allowed branches this variant exercises.
    rules: tuple[str, ...]
    description: str


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault("wire01-text-errors", "WIRE-01", "400 error responses are sent as text/plain"),
        Fault("wire01-text-started-details", "WIRE-01",
              "GET details of a started campaign (InProgress, Finished, UpgradeFailed) is sent as text/plain",
              seen_by=("LIFE-03",)),
        Fault("wire02-crash-on-number-imei", "WIRE-02", "a number inside deviceList makes the server answer 500"),
        Fault("wire03-reject-star", "WIRE-03", "a body labelled Content-Type */* is refused with 415"),
        Fault("wire04-reject-idempotency-key", "WIRE-04", "a request with an Idempotency-Key header gets 400"),
        Fault("wire04-reject-unknown-field", "WIRE-04",
              "an unknown field in a request body gets 400 (breaks the SHOULD part: warned)", should_part=True),
        Fault("wire05-422-detail", "WIRE-05", "a body that is not JSON gets 422 {\"detail\": …} (framework default)"),
        Fault("auth01-bearer-optional", "AUTH-01",
              "a request without Authorization is served when VZ-M2M-Token is valid"),
        Fault("auth01-body-before-auth", "AUTH-01",
              "the body is validated before the credentials: a bad body without credentials gets 400"),
        Fault("auth02-any-bearer", "AUTH-02", "any Bearer token is accepted"),
        Fault("auth03-m2m-ignored", "AUTH-03", "VZ-M2M-Token is never checked"),
        Fault("auth04-no-isolation", "AUTH-04", "valid credentials of any account work on every account"),
        Fault("post01-queued-at-once", "POST-01", "a new upgrade is reported Queued instead of RequestPending"),
        Fault("post01-start-date-shifted", "POST-01", "the response startDate is a day after the requested one"),
        Fault("post02-repeat-id", "POST-02", "the upgrade id is derived from the request, so equal requests share it"),
        Fault("post03-empty-device-list", "POST-03", "an empty deviceList is accepted"),
        Fault("post03-devicelist-ignored", "POST-03",
              "a body spelling devicelist is accepted as a campaign without devices"),
        Fault("post04-mismatch-queued", "POST-04", "devices of another model are accepted and the campaign is Queued"),
        Fault("put01-append-not-kept", "PUT-01", "append answers AddDeviceSucceed but the campaign does not change"),
        Fault("put01-lost-concurrent-appends", "PUT-01",
              "append is a slow read-modify-write without a lock: concurrent appends lose devices"),
        Fault("put02-remove-not-kept", "PUT-02", "remove answers RemoveDeviceSucceed but the device stays"),
        Fault("put03-false-success", "PUT-03", "appending a device already in the campaign reports AddDeviceSucceed"),
        Fault("put04-change-after-start", "PUT-04", "append and remove still work once the campaign is InProgress"),
        Fault("put05-unknown-id-200", "PUT-05", "an unknown upgradeId gets 200 with an empty deviceList"),
        Fault("put06-type-unchecked", "PUT-06", "any type other than remove is treated as append"),
        Fault("put07-lowercase-reason", "PUT-07", "PUT result items carry reason (lower case) instead of Reason"),
        Fault("life01-scheduled-status", "LIFE-01", "a scheduled campaign is reported Scheduled instead of Queued"),
        Fault("life02-bad-edge", "LIFE-02",
              "a Queued campaign with no reachable device becomes RequestFailed (not an edge)"),
        Fault("life02-terminal-changes", "LIFE-02", "a Finished campaign turns UpgradeFailed a day later"),
        Fault("life03-early-start", "LIFE-03", "a campaign starts one day before its startDate"),
        Fault("life04-get-stale-devices", "LIFE-04", "GET still lists devices that were removed"),
        # "Busy" devices are unreachable ones: a campaign with at least one reachable device (so it
        # starts) and at least one unreachable device waits for the latter for ever. Under the control
        # plane this necessarily breaks SIM-04 too (Finished at startDate + 1 day): with a 1-day run,
        # any LIFE-05 violation is also a SIM-04 one.
        Fault("life05-never-ends", "LIFE-05",
              "a campaign whose devices stay busy never leaves InProgress (warned: a SHOULD rule)"),
        Fault("life06-cancel-ignored", "LIFE-06", "DELETE answers success but the campaign still starts"),
        Fault("life06-cancel-started", "LIFE-06", "DELETE of an InProgress campaign answers success"),
        Fault("sim01-reset-keeps-campaigns", "SIM-01", "PUT /__control/world keeps the old upgrades"),
        Fault("sim02-clock-backwards", "SIM-02", "PUT /__control/clock accepts an earlier time"),
        Fault("sim02-lazy-transitions", "SIM-02",
              "PUT /__control/clock answers before applying due transitions (they show a move later)"),
        Fault("sim03-nondeterministic", "SIM-03",
              "every second world load, campaigns finish a day later than the first time"),
        Fault("sim04-decide-late", "SIM-04", "a new campaign stays RequestPending until the second clock move"),
        # Input classes that random generation rarely reaches; the boundary table
        # (conformance/suite/checks/inputs.py) and schemathesis's coverage phase catch them.
        Fault("wire02-crash-on-long-header", "WIRE-02", "a credential header over 4 KiB makes the server answer 500"),
        Fault("wire02-crash-on-long-device-list", "WIRE-02",
              "a deviceList of more than 1,000 entries makes the server answer 500"),
        Fault("wire02-crash-on-duplicate-key", "WIRE-02",
              "a body naming deviceList twice (JSON allows it) makes the server answer 500"),
        Fault("wire02-crash-on-extreme-date", "WIRE-02",
              "a date in year 9999 overflows when the day after it is computed: 500"),
        Fault("auth03-m2m-case-insensitive", "AUTH-03", "the VZ-M2M-Token is compared ignoring case"),
        Fault("post03-impossible-date-rolled", "POST-03",
              "a day past the end of its month rolls over (2026-02-30 is read as 2026-03-02)"),
        Fault("post03-unicode-digit-date", "POST-03",
              "dates may be written in any script's digits (٢٠٢٦-٠٣-٠١ is read as 2026-03-01)"),
        Fault("post03-null-device-skipped", "POST-03", "null entries of deviceList are dropped instead of refused"),
        Fault("post04-unicode-digit-imei", "POST-04",
              "IMEIs are read digit by digit in any script, so a malformed IMEI names a real device"),
        Fault("post04-empty-firmware-to-ignored", "POST-04",
              "an empty firmwareTo is treated as absent instead of as a mismatching version"),
        Fault("put03-duplicate-append-succeeds", "PUT-03",
              "a device listed twice in one append is reported AddDeviceSucceed twice"),
        Fault("put06-type-whitespace-stripped", "PUT-06",
              "surrounding whitespace is stripped from type, so ' append' appends"),
    )
}

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("sync-refusal", ("POST-04",), "semantically invalid schedule requests are refused at once with 400"),
        Variant("whole-request-400", ("PUT-03",), "a per-device problem fails the whole PUT with 400"),
        Variant("unknown-id-404", ("PUT-05",), "an unknown upgradeId gets 404 (allowed; PUT-05 SHOULD warns)"),
        Variant("errorcode-401", ("AUTH-01", "AUTH-02"),
                "401 bodies use {errorCode, errorMessage}, not the gateway fault"),
        Variant("m2m-401", ("AUTH-03",), "a missing or unknown VZ-M2M-Token gets 401 instead of 400"),
        Variant("charset-json", ("WIRE-01",), "responses say Content-Type: application/json; charset=utf-8"),
        Variant("devicelist-alias", ("POST-05",), "the spelling devicelist is accepted as deviceList"),
        Variant("past-start-refused", ("POST-03",), "a startDate before today is refused with 400"),
        Variant("firmware-updates", ("SIM-04",), "upgraded devices move to the firmware's toVersion"),
        Variant("cancel-as-request-failed", ("LIFE-06", "LIFE-02"),
                "a cancelled campaign shows RequestFailed, even when it was Queued (cancelling is no "
                "LIFE-02 edge: LIFE-06 allows any terminal status)"),
        Variant("cancel-as-failed", ("LIFE-06",),
                "a cancelled campaign stays readable with a terminal failed status instead of a 4xx"),
        Variant("extra-fields", ("WIRE-01", "LIFE-04"), "responses carry extra fields (endDate, campaign notes)"),
        Variant("errors-quote-request", ("AUTH-04",),
                "error messages quote the request's path values and body (IMEIs of another account the "
                "client itself sent included)"),
    )
}


class ProfileError(ValueError):
    """An unknown fault or variant name; the message lists the known ones."""


@dataclass(frozen=True, slots=True)
class Profile:
    faults: frozenset[str] = frozenset()
    variants: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in self.faults:
            if name not in FAULTS:
                raise ProfileError(f"unknown fault {name!r} (known: {', '.join(sorted(FAULTS))})")
        for name in self.variants:
            if name not in VARIANTS:
                raise ProfileError(f"unknown variant {name!r} (known: {', '.join(sorted(VARIANTS))})")

    @classmethod
    def of(cls, *names: str) -> Profile:
        """A profile from a mix of fault and variant names (handy in tests)."""
        return cls(faults=frozenset(n for n in names if n in FAULTS),
                   variants=frozenset(n for n in names if n not in FAULTS))

    def fault(self, name: str) -> bool:
        assert name in FAULTS, name  # a typo here would silently disable a planted fault
        return name in self.faults

    def variant(self, name: str) -> bool:
        assert name in VARIANTS, name
        return name in self.variants
