"""Checks one webhook this server sent with the verifier in Telnyx's own
Python SDK, as a receiver of Telnyx's webhooks would: the body on stdin,
its two headers and our public key (GET /v2/public_key) in the environment.
Prints VALID, or the SDK's error and exits 1."""

import os
import sys

from telnyx.lib.webhook_verification import WebhookVerificationError, verify_webhook_signature

body = sys.stdin.buffer.read().decode("utf-8")
headers = {
    "Telnyx-Signature-Ed25519": os.environ["SIGNATURE"],
    "Telnyx-Timestamp": os.environ["TIMESTAMP"],
}
try:
    verify_webhook_signature(body, headers, os.environ["PUBLIC_KEY"])
except WebhookVerificationError as error:
    print(f"INVALID {error}")
    sys.exit(1)
print("VALID")
