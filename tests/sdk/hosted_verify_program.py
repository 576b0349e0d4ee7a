"""A program written for Telnyx's hosted Verify, with Telnyx's official SDK.

It is run by tests/api/sdk.rs against telnyx-2fa, unchanged: the SDK reads
TELNYX_API_KEY and TELNYX_BASE_URL from the environment, and those are the
only differences from running it against api.telnyx.com. Strict response
validation and no retries are the test's choices, so that any difference in
the shape of an answer, or a failure that a retry would hide, shows.

Env: TELNYX_API_KEY, TELNYX_BASE_URL, PHONE, OTHER_PHONE, PROFILE_ID.
When the code of the first SMS is needed, it prints `SENT <id>` and reads
the code from stdin (the test reads it from the SMS its mock received).
"""

import os
import sys

import telnyx

PHONE = os.environ["PHONE"]
OTHER_PHONE = os.environ["OTHER_PHONE"]
PROFILE_ID = os.environ["PROFILE_ID"]

client = telnyx.Telnyx(max_retries=0, _strict_response_validation=True)


def expect(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def raises(error_class, call, what):
    try:
        call()
    except error_class as error:
        print(f"ok: {what} ({error.status_code}: {error.body})", flush=True)
        return error
    print(f"FAILED: {what}: no {error_class.__name__}", flush=True)
    sys.exit(1)


profiles = [profile.id for profile in client.verify_profiles.list()]
expect(PROFILE_ID in profiles, f"verify_profiles.list() includes {PROFILE_ID}: {profiles}")
profile = client.verify_profiles.retrieve(PROFILE_ID).data
expect(profile.sms.code_length == 6, "the profile's SMS code_length")

created = client.verifications.trigger_sms(phone_number=PHONE, verify_profile_id=PROFILE_ID)
expect(created.data.status == "pending", "trigger_sms() answers a pending verification")
print(f"SENT {created.data.id}", flush=True)
code = sys.stdin.readline().strip()

wrong = client.verifications.actions.verify(created.data.id, code="000000" if code != "000000" else "111111")
expect(wrong.data.response_code == "rejected", "a wrong code is rejected")
right = client.verifications.actions.verify(created.data.id, code=code)
expect(right.data.response_code == "accepted", "the texted code is accepted")
expect(right.data.phone_number == PHONE, "the answer names the number")
status = client.verifications.retrieve(created.data.id).data.status
expect(status == "accepted", f"the verification is accepted ({status})")

listed = client.verifications.by_phone_number.list(PHONE)
expect(listed.meta.total_results >= 1, "by_phone_number.list() finds it")
expect(listed.data[0].id == created.data.id, "newest first")

client.verifications.trigger_sms(
    phone_number=OTHER_PHONE, verify_profile_id=PROFILE_ID, custom_code="424242", timeout_secs=300
)
by_number = client.verifications.by_phone_number.actions.verify(
    OTHER_PHONE, code="424242", verify_profile_id=PROFILE_ID
)
expect(by_number.data.response_code == "accepted", "a custom_code is accepted by number")

raises(telnyx.NotFoundError, lambda: client.verifications.retrieve("AAAAAAAAAAAAAAAAAAAAAA"), "an unknown id")
raises(
    telnyx.UnprocessableEntityError,
    lambda: client.verifications.trigger_sms(phone_number="12345", verify_profile_id=PROFILE_ID),
    "a number that is not E.164",
)
limited = raises(
    telnyx.RateLimitError,
    lambda: client.verifications.trigger_sms(phone_number=OTHER_PHONE, verify_profile_id=PROFILE_ID),
    "a second SMS inside the cooldown",
)
expect(int(limited.response.headers["retry-after"]) > 0, "with Retry-After")
raises(
    telnyx.AuthenticationError,
    lambda: client.with_options(api_key="not-a-key-of-this-server").verify_profiles.list(),
    "a wrong key",
)
print("ALL OK", flush=True)
